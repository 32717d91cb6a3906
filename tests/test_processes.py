"""Failures across process boundaries: what a worker raises reaches the parent whole, and no process outlives
the fetch that started it."""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import pkgutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import newsreader
from newsreader.net.errors import FailureKind
from newsreader.sync.errors import SyncErrorKind
from newsreader.workers import WorkerPool
from processes import FetchProcess, descendants, forkserver_workers, living, processes, wait_for

from feedserver import FeedServer

#: A process of a killed fetch may take this long to notice and end.
ORPHAN_SECONDS = 5.0


# -- exceptions through pickle ------------------------------------------------------------------------------


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in any newsreader module (worker processes raise some; any may be next)."""
    found = []
    for module_info in pkgutil.walk_packages(newsreader.__path__, "newsreader."):
        if module_info.name.endswith("__main__"):  # running it is the command line
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


#: A value for each kind of constructor argument, by its annotation.
_SAMPLES = {
    "FailureKind": FailureKind.TIMEOUT,
    "bool": True,
    "SyncErrorKind": SyncErrorKind.UNREACHABLE,
    "tuple[str, ...]": ("Armenia (AM)", "Romania (RO)"),
    "str | Path": Path("/tmp/feeds.toml"),
    "str": "a reason: with a colon",
    "int": 404,
    "int | None": 503,
    "float | None": 1_700_000_000.5,
    "str | None": "https://example.com/moved",
}


def _instance(cls: type[BaseException]) -> BaseException:
    init = vars(cls).get("__init__") or next((vars(base)["__init__"] for base in cls.__mro__[1:]
                                               if "__init__" in vars(base) and base.__module__.startswith("newsreader")), None)
    if init is None:  # Exception's own: any message
        return cls("what went wrong, in one line")
    arguments = []
    for parameter in list(inspect.signature(init).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = parameter.annotation if isinstance(parameter.annotation, str) else str(parameter.annotation)
        assert annotation in _SAMPLES, f"{cls.__qualname__}({parameter.name}: {annotation}): add a sample value"
        arguments.append(_SAMPLES[annotation])
    return cls(*arguments)


def test_every_exception_class_is_found():
    names = {cls.__name__ for cls in _exception_classes()}
    assert {"ArticleError", "FetchError", "ParseError", "RefreshCancelled", "ConfigError", "UnknownPlace",
            "Interrupted"} <= names


@pytest.mark.parametrize("cls", _exception_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_exception_survives_pickle(cls: type[BaseException]):
    """A worker process that raises it hands it to the parent through pickle: it must come back the same,
    not as "missing 1 required positional argument", which breaks the whole pool."""
    error = _instance(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_a_worker_raising_each_error_hands_it_over_whole():
    """The same through a real worker process."""
    pool = WorkerPool(2)
    try:
        executor = pool.executor()
        assert executor is not None
        for cls in _exception_classes():
            error = _instance(cls)
            future = executor.submit(_raise, error)
            with pytest.raises(cls) as raised:
                future.result(timeout=60)
            assert str(raised.value) == str(error) and vars(raised.value) == vars(error)
    finally:
        pool.close()


def _raise(error: BaseException) -> None:
    raise error


# -- workers belong to their pool's owner -------------------------------------------------------------------


def test_workers_ignore_ctrl_c():
    """The terminal sends Ctrl-C to the whole process group: the pool's owner decides what it means."""
    pool = WorkerPool(2)
    try:
        pool.start()
        workers = wait_for(lambda: len(found := forkserver_workers(os.getpid())) == 2 and found, "two workers")
        wait_for(lambda: all(_ignores(worker.pid, signal.SIGINT) for worker in workers), "workers set up")
        for worker in workers:
            os.kill(worker.pid, signal.SIGINT)
        assert pool.executor().submit(sum, [1, 2]).result(timeout=60) == 3  # not BrokenProcessPool
        assert {worker.pid for worker in forkserver_workers(os.getpid())} == {worker.pid for worker in workers}
    finally:
        pool.close()


def _ignores(pid: int, number: int) -> bool:
    """Whether process `pid` ignores signal `number` (the kernel's SigIgn mask)."""
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(status.split("SigIgn:")[1].split()[0], 16)
    return bool(mask & (1 << (number - 1)))


@pytest.fixture
def held() -> Iterator[threading.Event]:
    """Set it to let the slow feeds answer (the test sets it when it ends, so the server can stop)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_no_process_outlives_a_killed_fetch(number: int, tmp_path: Path, feed_server: FeedServer,
                                            held: threading.Event):
    """kill -9 of a fetch with 8+ feeds left its forkserver, resource tracker and parse workers running for
    good (about 110 MB a set). Workers now notice their owner is gone; the rest end with them."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the fetch parses in its own process")
    fetch = FetchProcess.start(tmp_path, feed_server, held)
    try:
        wait_for(lambda: len(fetch.workers()) >= 2, "the parse workers")
        before = {proc.pid for proc in fetch.leftovers()}
        assert len(before) >= 4  # the forkserver, the resource tracker, two workers
        fetch.kill(number)
        fetch.wait()
        killed = time.monotonic()
        wait_for(lambda: not fetch.leftovers(), "every process of the fetch to end", timeout=ORPHAN_SECONDS)
        print(f"{signal.Signals(number).name}: {len(before)} processes gone {time.monotonic() - killed:.2f} s after the fetch")
        assert not set(before) & {proc.pid for proc in living(processes())}
        out, err = fetch.output()
        assert "Traceback" not in out + err
        if number == signal.SIGKILL:
            assert err == ""  # nor the resource tracker's "leaked semaphore objects" on the terminal
    finally:
        fetch.close()


def test_a_worker_whose_owner_dies_ends(tmp_path: Path):
    """The mechanism on its own, for any owner (the reader's refresh too): an owner killed while its pool
    is busy takes its workers, forkserver and resource tracker with it."""
    import subprocess
    import sys

    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, start_new_session=True, text=True,
    )
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "busy"
        wait_for(lambda: len(forkserver_workers(owner.pid)) == 2, "two workers")
        assert len(descendants(owner.pid)) == 4  # and the forkserver and the resource tracker
        owner.kill()
        owner.wait(60)
        wait_for(lambda: not [proc for proc in living(processes()) if proc.session == owner.pid],
                 "the owner's processes to end", timeout=ORPHAN_SECONDS)
    finally:
        if owner.poll() is None:
            owner.kill()
        for proc in living(processes()):
            if proc.session == owner.pid:
                os.kill(proc.pid, signal.SIGKILL)
        owner.wait(60)


_OWNER = """
import time
from newsreader.workers import WorkerPool
pool = WorkerPool(2)
futures = [pool.executor().submit(time.sleep, 600) for _ in range(2)]
while not all(future.running() for future in futures):
    time.sleep(0.01)
print("busy", flush=True)
time.sleep(600)
"""


def test_a_task_stranded_in_a_broken_pool_ends():
    """Python 3.11's pool can break and leave a task submitted at that moment unresolved for ever (one fetch in
    about 40 hung for good with pools breaking again and again). Here the task is left running in a pool marked
    broken, the state the race leaves behind: awaiting it ends in BrokenProcessPool, not never."""
    import asyncio
    from concurrent.futures.process import BrokenProcessPool

    from newsreader.workers import STRANDED_POLL_SECONDS, run_in

    pool = WorkerPool(2)
    executor = pool.executor()
    assert executor is not None

    async def strand() -> None:
        task = asyncio.ensure_future(run_in(executor, time.sleep, 600))
        await asyncio.sleep(0)
        executor._broken = "what the pool's manager sets as a worker dies"  # type: ignore[attr-defined]
        await asyncio.wait_for(task, timeout=10 * STRANDED_POLL_SECONDS)

    try:
        with pytest.raises(BrokenProcessPool):
            asyncio.run(strand())
    finally:
        for process in list(executor._processes.values()):  # type: ignore[attr-defined]
            process.kill()
        pool.replace(executor)
