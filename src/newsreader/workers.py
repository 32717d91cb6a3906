"""Process pools for CPU-bound work (feed parsing, article extraction) on every core.

A worker belongs to the process that started its pool, and ends with it:
- Ctrl-C is not the workers' to answer. The terminal sends SIGINT to the whole process group; the parent
  decides what it means (a fetch stops and keeps what it saved), and a worker raising KeyboardInterrupt
  would only print a traceback and break the pool.
- A worker's own parent is the forkserver, not the process that wants its work, so when that process is
  killed (kill -9, the OOM killer) nothing tells the worker. Each watches its pool's owner and exits when it
  is gone. The forkserver and multiprocessing's resource tracker then go by themselves: each ends when
  the last process holding its pipe (the owner and the workers) has.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")

#: Imported by the forkserver before its first fork: every worker it forks then ignores Ctrl-C from its first
#: instruction, not only once `_start_worker` runs.
FORKSERVER_BOOT = "newsreader.forkserver_boot"
#: The resource tracker outlives a killed owner just long enough to free its semaphores, and would then say so
#: on the terminal ("leaked semaphore objects") after the shell's prompt: it is spawned with our -W options.
_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
#: How often a task waiting on a process pool looks whether the pool broke without telling it.
STRANDED_POLL_SECONDS = 1.0
#: How often a worker without pidfd_open (not Linux) looks whether its pool's owner is still there.
OWNER_POLL_SECONDS = 0.5


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, while sys.stderr is still the process's own.

    Every process pool needs the tracker, which starts with the first one and is handed `sys.stderr.fileno()`.
    A full-screen UI replaces sys.stderr with a capture whose fileno() is -1 (Textual's), and the tracker then
    fails to start ("ValueError: bad value(s) in fds_to_keep"), failing every parse. A UI calls this first.
    """
    from multiprocessing import resource_tracker

    _quiet_tracker()
    resource_tracker.ensure_running()


class WorkerPool:
    """A lazily started process pool; `executor()` is None where one core is all there is to use.

    feedparser and trafilatura are mostly Python and hold the GIL, so threads would not help.
    """

    def __init__(self, workers: int | None = None, *, warm_up: Callable[[], None] | None = None,
                 preload: Sequence[str] = (), isolate: bool = False) -> None:
        """`warm_up` runs in each worker as it starts; `preload` names modules the forkserver imports once,
        before it forks the first worker (it applies only if this pool is the first to start it). `isolate`
        keeps even one worker in a process of its own: for work that may crash, where speed is no reason."""
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.isolate = isolate
        self._warm_up = warm_up
        self._preload = list(preload)
        self._executor: Executor | None = None

    def executor(self) -> Executor | None:
        """A process pool, or None to run in the caller's thread pool (one core, or workers <= 1, unless isolated)."""
        if self.workers < 1 or (self.workers == 1 and not self.isolate):
            return None
        if self._executor is None:
            # forkserver: the caller may be a threaded Textual app, where fork is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([FORKSERVER_BOOT, *self._preload])
            _quiet_tracker()
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                                 initargs=(os.getpid(), self._warm_up))
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


async def run_in(executor: Executor | None, fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in `executor` (None: the loop's thread pool), awaited; BrokenProcessPool if it is a process pool
    that broke with the task in it.

    `loop.run_in_executor` alone can wait for ever: Python 3.11's pool fails the tasks waiting in it when a worker
    dies and marks itself broken without the lock `submit` takes, so a task submitted at that moment is never
    resolved (seen here: one fetch in about 40 with pools breaking again and again hung for good).
    """
    future = asyncio.get_running_loop().run_in_executor(executor, fn, *args)
    if not isinstance(executor, ProcessPoolExecutor):
        return await future
    try:
        while True:
            done, _ = await asyncio.wait([future], timeout=STRANDED_POLL_SECONDS)
            if done:
                return future.result()
            if getattr(executor, "_broken", False):  # the pool's own flag: no public way to ask
                raise BrokenProcessPool("the pool broke with this task in it")
    finally:
        future.cancel()  # nothing if it is done; if this task was cancelled, the pool need not run it


def _quiet_tracker() -> None:
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)


def ignore_interrupts() -> None:
    """In a worker (or the forkserver that forks them): Ctrl-C is for the pool's owner to answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker(owner: int, warm_up: Callable[[], None] | None) -> None:
    """Each worker's initializer: ignore Ctrl-C, end with `owner` (the process that started the pool), warm up."""
    ignore_interrupts()
    threading.Thread(target=_exit_after, args=(owner,), name="newsreader-owner-watch", daemon=True).start()
    if warm_up is not None:
        warm_up()


def _exit_after(owner: int) -> None:
    """Wait for process `owner` to end, then end this one: nothing is left to hand a result to."""
    try:
        handle = os.pidfd_open(owner)  # readable once the process has exited (Linux 5.3)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        while _exists(owner):
            time.sleep(OWNER_POLL_SECONDS)
        os._exit(1)
    select.select([handle], [], [])
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _nothing() -> None:
    """A task that only makes the pool start a worker."""
