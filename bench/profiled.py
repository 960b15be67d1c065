"""Run a service module under a profiler; the profile is written when the process stops.

    python bench/profiled.py OUT grantflow_applications.app

cProfile sees every Python function (the handlers, SQLAlchemy, protobuf, logging); it slows the
process down, so a profiled run's rates are not the figures of the table, only where the time goes.
OUT.prof is the raw profile (`python -m pstats`) and OUT.txt the top functions by own and
cumulative time. The services stop on SIGTERM by returning from their main loop, which is what
lets the profile be written.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import runpy
import signal
import sys
from pathlib import Path


def main() -> None:
    out, module = Path(sys.argv[1]), sys.argv[2]
    sys.argv = [module]
    profile = cProfile.Profile()
    # SIGINT from a terminal's Ctrl-C must not abort the write below.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(str(out.with_suffix(".prof")))
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
        out.with_suffix(".txt").write_text(text.getvalue())


if __name__ == "__main__":
    main()
