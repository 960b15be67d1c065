"""Where the time goes: py-spy attached to service processes for one phase, when it is installed
(`pip install py-spy`; not a dependency of the project). It samples every thread, native waits
included, without slowing the process much, which cProfile cannot do for an asyncio process whose
database calls run in worker threads. Without py-spy, `GRANTFLOW_BENCH_PROFILE` (see harness.py)
runs chosen services under cProfile instead.

Each attached process gets `<label>-<service>.txt` (py-spy's collapsed stacks) and
`<label>-<service>.top.txt`: the functions with the largest share of samples, inclusive, and the
innermost frames, which is what the README's analysis quotes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from bench.harness import BENCH_DIR, Stack

PROFILES = BENCH_DIR / "results" / "profiles"


def py_spy() -> str | None:
    return os.environ.get("GRANTFLOW_BENCH_PYSPY") or shutil.which("py-spy")


@contextlib.asynccontextmanager
async def sampled(stack: Stack, services: Iterable[str], label: str) -> AsyncIterator[None]:
    """Record the named processes while the block runs; a no-op without py-spy."""
    binary = py_spy()
    spies: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    if binary is not None:
        PROFILES.mkdir(parents=True, exist_ok=True)
        for name in services:
            out = PROFILES / f"{label}-{name}.txt"
            spies.append((name, _record(binary, stack.processes[name].pid, out), out))
    try:
        yield
    finally:
        for _, spy, _ in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for _, spy, out in spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
            if out.exists():
                out.with_suffix(".top.txt").write_text(summarise(out))


def _record(binary: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    # 100 Hz without pausing the process (--nonblocking): cheap enough to leave the rates be.
    command = [binary, "record", "-p", str(pid), "-f", "raw", "-o", str(out), "-r", "100"]
    command += ["--threads", "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(collapsed: Path, top: int = 45) -> str:
    """Shares of samples by function, inclusive (anywhere on the stack) and innermost."""
    total = 0
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_name(f) for f in stack.split(";")[1:]]
        if frames:
            innermost[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return "no samples\n"
    lines = [
        f"{total} samples (all threads; py-spy counts a thread only while it is not idle)",
        "",
        "inclusive:",
    ]
    lines += [f"{n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    lines += ["", "innermost:"]
    lines += [f"{n / total:6.1%}  {f}" for f, n in innermost.most_common(top // 2)]
    return "\n".join(lines) + "\n"


def _name(frame: str) -> str:
    """`func (path/to/module.py:12)` as `func (module.py)`: lines of one function add up."""
    func, _, where = frame.partition(" (")
    return f"{func} ({where.rsplit('/', 1)[-1].split(':')[0]})"
