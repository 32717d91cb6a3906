"""The reader's cache threads: every query the reader makes runs on one of these, never on the event loop.

One thread per kind of query, so a slow count never holds up the list or the story under the cursor; and a
fixed set of threads, since the cache keeps a connection per thread (a new thread per query would leave
connections behind).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

T = TypeVar("T")
KINDS = ("list", "counts", "story")


class QueryThreads:
    def __init__(self) -> None:
        self._pools = {kind: ThreadPoolExecutor(1, thread_name_prefix=f"reader-{kind}") for kind in KINDS}

    async def run(self, kind: str, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        """`call(*args, **kwargs)` on the `kind` thread ("list", "counts" or "story")."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pools[kind], partial(call, *args, **kwargs))

    def shutdown(self) -> None:
        """Drop queued queries and wait for the running ones (interrupt them first: Library.interrupt)."""
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
