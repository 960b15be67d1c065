"""Visible progress: one bar per phase of the round, and a worker pool that advances it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Step:
    progress: Progress
    task: TaskID

    def advance(self, by: int = 1) -> None:
        self.progress.advance(self.task, by)

    def total(self, total: int) -> None:
        self.progress.update(self.task, total=total)


@dataclass
class Steps:
    console: Console
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<34}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )

    def __enter__(self) -> Steps:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    @contextmanager
    def phase(self, description: str, total: int | None = None) -> Iterator[Step]:
        task = self.progress.add_task(description, total=total)
        started = time.monotonic()
        step = Step(self.progress, task)
        yield step
        if self.progress.tasks[task].total is None:
            step.total(1)
            step.advance()
        else:
            # A phase that found its work done already shows as complete.
            self.progress.update(task, completed=self.progress.tasks[task].total)
        self.timings[description] = time.monotonic() - started


def in_parallel(
    items: Sequence[T], work: Callable[[T], R], *, workers: int, step: Step | None = None
) -> list[R]:
    """`work` on every item with a few threads, results in the items' order. The first failure
    cancels what has not started and is raised."""
    results: list[R | None] = [None] * len(items)
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = {pool.submit(work, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if step is not None:
                step.advance()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return cast(list[R], results)
