"""`make bench`: throughput, latency, scale and memory, as ratios to this machine's own limits.

    .venv/bin/python -m bench [--backends sqlite,postgres] [--quick] [--profile] [--readme]

Phases, each in this one run so that the ratios share the machine's state:
1. the submission path (gRPC no-op, gRPC submit, gateway submit) at 16 and 64 in flight,
   interleaved rounds, on SQLite and on PostgreSQL        (submission.py)
2. a deadline surge of 20,000 submissions; 6. memory during it        (surge.py)
3. expert assignment, 20,000 applications x 1,000 experts        (assignment.py)
4. ranking and the award decision for 20,000 scored applications        (ranking.py)
5. the portfolio roll-up over 100,000 reports on PostgreSQL        (portfolio.py)

Prints one table (report.py) and writes bench/results/latest.json; `--readme` also puts the
table into README.md. `--profile` samples the service processes with py-spy during the surge
and DecideAwards (profiling.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grantflow_runtime.natsserver import binary

from bench import assignment, portfolio, ranking, report, submission, surge
from bench.harness import BENCH_DIR, Stack, server_versions
from bench.observe import Observer
from bench.profiling import sampled
from bench.seed import seed_round

ORGANISATIONS = 2_500
PER_ORGANISATION = 20


class Progress:
    def __init__(self) -> None:
        self.began = time.monotonic()
        self.phase = ""

    def __call__(self, text: str) -> None:
        print(f"[{time.monotonic() - self.began:6.1f}s] {self.phase}{text}", flush=True)

    def enter(self, phase: str) -> None:
        self.phase = f"{phase}: " if phase else ""


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    nats = subprocess.run([binary(), "--version"], capture_output=True, text=True).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": mem_kib / 2**20,
        "python": platform.python_version(),
        "nats_server": nats.strip().split(" ")[-1].lstrip("v") if nats else "unknown",
        "load_start": os.getloadavg()[0],
    }


async def backend_phases(
    backend: str, args: argparse.Namespace, progress: Progress
) -> dict[str, Any]:
    settings = submission.Settings(rounds=args.rounds, seconds=args.seconds)
    if args.quick:
        settings.calls_cap = 300
    result: dict[str, Any] = {}
    progress.enter(backend)
    progress("starting nats-server, the three services and the gateway")
    async with Stack(backend) as stack:
        url = stack.database_urls["applications"]
        address = stack.address("applications")
        began = time.monotonic()
        drafts = settings.drafts_needed
        first = await seed_round(
            address,
            url,
            organisations=max(100, drafts // PER_ORGANISATION + 1),
            drafts=drafts,
            per_organisation=PER_ORGANISATION,
            seed=1,
        )
        second = await seed_round(
            address,
            url,
            organisations=max(100, args.surge // PER_ORGANISATION + 1),
            drafts=args.surge,
            per_organisation=PER_ORGANISATION,
            seed=2,
            first_organisation=len(first.applicants),
        )
        progress(f"seeded {drafts + args.surge:,} drafts in {time.monotonic() - began:.1f}s")
        async with Observer(stack.nats_url, stack.database_urls) as observer:
            progress.enter(f"{backend} · submission")
            result["submission"] = await submission.run(stack, observer, first, settings, progress)
            progress.enter(f"{backend} · surge")
            progress(f"{args.surge:,} submissions through the gateway")
            services = ("applications", "scoring", "gateway") if args.profile else ()
            async with sampled(stack, services, f"{backend}-surge"):
                result["surge"] = await surge.run(
                    stack, observer, second, args.surge, progress, args.surge_seconds
                )
            s = result["surge"]
            progress(
                f"scoring consumed all {s['scoring_copies']:,} in {s['drain_seconds']:.1f}s, "
                f"lag p99 {s['lag_p99_ms']:.0f} ms"
            )
        result["errors_logged"] = stack.errors()
    progress("stopped")
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    progress = Progress()
    facts = await asyncio.to_thread(machine)
    results: dict[str, Any] = {"machine": {**facts, **await server_versions()}, "backends": {}}
    if results["machine"]["postgresql"] == "unavailable" and "postgres" in args.backends:
        # A machine without the PostgreSQL at 127.0.0.1:5432 still gets the SQLite figures.
        progress("no PostgreSQL answers at 127.0.0.1:5432: measuring SQLite only")
        args.backends = [b for b in args.backends if b != "postgres"]
    for backend in args.backends:
        results["backends"][backend] = await backend_phases(backend, args, progress)
    scale = 4 if args.quick else 1
    progress.enter("assignment")
    progress(f"{20_000 // scale:,} applications x {1_000 // scale:,} experts, k=2")
    results["assignment"] = await asyncio.to_thread(assignment.run, 20_000 // scale, 1_000 // scale)
    progress(f"min-cost flow {results['assignment']['results'][0]['seconds']:.1f}s")
    progress.enter("ranking")
    results["ranking"] = {"domain": ranking.domain(args.ranked // scale), "decide_awards": {}}
    progress(f"rank + decide: best {min(results['ranking']['domain']['seconds_all']):.2f}s")
    scored = await asyncio.to_thread(ranking.scored_round, args.ranked // scale, 1_000 // scale)
    for backend in args.backends:
        progress.enter(f"ranking · DecideAwards on {backend}")
        decided = await ranking.decide_awards(backend, scored, progress, profile=args.profile)
        results["ranking"]["decide_awards"][backend] = decided
        progress(f"{decided['seconds']:.1f}s")
    if "postgres" in args.backends:
        progress.enter("portfolio")
        results["portfolio"] = await portfolio.run(args.reports // scale, progress)
        progress(f"worst grouping {results['portfolio']['seconds']:.2f}s")
    results["machine"]["load_end"] = os.getloadavg()[0]
    results["total_seconds"] = round(time.monotonic() - progress.began, 1)
    results["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["verdicts"] = verdicts(results)
    return results


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with its value and whether it is met, for machines to read."""
    found: list[dict[str, Any]] = []
    for backend, r in results["backends"].items():
        for v in submission.verdicts(r["submission"]):
            found.append({**v, "target": f"{v['target']} ({backend})"})
        found += surge.verdicts(r["surge"], backend)
    found += assignment.verdicts(results["assignment"])
    found += ranking.verdicts(results["ranking"]["domain"], results["ranking"]["decide_awards"])
    if "portfolio" in results:
        found += portfolio.verdicts(results["portfolio"])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backends",
        type=lambda s: [b for b in s.split(",") if b],
        default=["sqlite", "postgres"],
        help="comma-separated: sqlite, postgres (default both)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of phase 1")
    parser.add_argument("--seconds", type=float, default=2.5, help="per path and round")
    parser.add_argument("--surge", type=int, default=20_000, help="submissions in the surge")
    parser.add_argument(
        "--surge-seconds", type=float, default=150.0, help="longest a surge may send, per backend"
    )
    parser.add_argument("--ranked", type=int, default=20_000, help="scored applications to rank")
    parser.add_argument("--reports", type=int, default=100_000, help="reports in the portfolio")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: small sizes, not the real figures"
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy profiles into bench/results/profiles"
    )
    parser.add_argument("--readme", action="store_true", help="also update README.md's table")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.surge = min(args.surge, 2_000)
    results = asyncio.run(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(report.render(results))
    print(f"\nwrote {args.out}")
    if args.readme:
        report.update_readme(results)
        print(f"updated {report.README}")
    missed = [v["target"] for v in results["verdicts"] if not v["met"]]
    if missed:
        print(f"{len(missed)} target(s) missed; see the README's Performance section for why.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
