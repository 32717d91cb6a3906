"""Running the core's coroutines from code without an event loop (the CLI, the reader's thread workers),
stoppable from another thread.

Setting `cancel` (the reader quitting, Ctrl-C) stops the run within a fraction of a second, where downloads
could otherwise keep it going for their whole timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

#: How often a run that may be cancelled looks whether it has been.
CANCEL_POLL_SECONDS = 0.1

T = TypeVar("T")


def run_blocking(coroutine: Coroutine[Any, Any, T], cancel: threading.Event | None) -> T:
    """Run `coroutine` in an event loop of its own and return its result; raises asyncio.CancelledError once
    `cancel` is set (the caller says, in its own error, what was kept)."""

    async def run() -> T:
        task = asyncio.ensure_future(coroutine)
        while cancel is not None and not task.done():
            await asyncio.wait([task], timeout=CANCEL_POLL_SECONDS)
            if cancel.is_set():
                task.cancel()
        return await task

    return asyncio.run(run())
