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


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HTTPS_PROXY must not carry the suite's loopback traffic: the tests that want a proxy set
    their own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
