"""Process pools for CPU-bound work (feed parsing, article extraction) on every core."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, while sys.stderr is still the process's own.

    Every process pool needs the tracker, which starts with the first one and is handed `sys.stderr.fileno()`.
    A full-screen UI replaces sys.stderr with a capture whose fileno() is -1 (Textual's), and the tracker then
    fails to start ("ValueError: bad value(s) in fds_to_keep"), failing every parse. A UI calls this first.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


class WorkerPool:
    """A lazily started process pool; `executor()` is None where one core is all there is to use.

    feedparser and trafilatura are mostly Python and hold the GIL, so threads would not help.
    """

    def __init__(self, workers: int | None = None, *, warm_up: Callable[[], None] | None = None,
                 preload: Sequence[str] = ()) -> None:
        """`warm_up` runs in each worker as it starts; `preload` names modules the forkserver imports once,
        before it forks the first worker (it applies only if this pool is the first to start it)."""
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._warm_up = warm_up
        self._preload = list(preload)
        self._executor: Executor | None = None

    def executor(self) -> Executor | None:
        """A process pool, or None to run in the caller's thread pool (one core, or workers <= 1)."""
        if self.workers <= 1:
            return None
        if self._executor is None:
            # forkserver: the caller may be a threaded Textual app, where fork is unsafe.
            context = multiprocessing.get_context("forkserver")
            if self._preload:
                context.set_forkserver_preload(self._preload)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=self._warm_up)
        return self._executor

    def start(self) -> None:
        """Start every worker now rather than at the first task, so their start-up overlaps other work."""
        executor = self.executor()
        if executor is None:
            return
        try:
            for _ in range(self.workers):  # the pool starts one worker per task it has no idle worker for
                executor.submit(_nothing)
        except (BrokenExecutor, RuntimeError, OSError):
            pass  # the first real task meets the same problem, and its caller has a way round it

    def replace(self, broken: Executor) -> None:
        """Drop a pool that broke (a worker died); the next `executor()` starts a fresh one. Several tasks
        may see the same pool break: only the first replaces it."""
        if self._executor is broken:
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _nothing() -> None:
    """A task that only makes the pool start a worker."""
