"""Shared fixtures. The loopback feed server lives in feedserver.py; see its docstring for the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from feedserver import FeedServer
from sync_servers import feed_folder, http, sync_servers  # noqa: F401  (fixtures for tests/test_sync_*.py)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 (free port) for this test; register routes on it."""
    with FeedServer() as server:
        yield server
