"""What can go wrong that a person should hear about, as one exception tree. `str()` of each is one line.

    NewsreaderError
    ├── ConfigError          feeds.toml cannot be used (names the file and line)
    ├── FeedListError        a change to feeds.toml cannot be made
    │   ├── AlreadySubscribed
    │   └── NoSuchFeed
    ├── OpmlError            an OPML file cannot be used
    ├── DiscoveryError       no feed found behind a URL
    │   ├── Unreachable
    │   └── NoFeedsFound
    ├── StoreError           the cache cannot be used (corrupt, foreign, newer, the disk refuses)
    │   └── DiskFull
    └── RefreshCancelled     a refresh was stopped from outside; what it saved stays

Failures of one feed or one article page are not exceptions the caller sees: they are outcomes with a kind
(net.errors.FetchError's, articles.extract.ArticleError's). Every class here passes all its arguments to
Exception, so it survives pickling (a worker process raising it).
"""

from __future__ import annotations

from pathlib import Path


class NewsreaderError(Exception):
    """Base of the errors newsreader reports as one line."""


class ConfigError(NewsreaderError):
    """A config file that cannot be used. `str()` is one line: ``path:line: problem``."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None) -> None:
        super().__init__(str(path), problem, line)
        self.path = str(path)
        self.problem = problem
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.problem}"


class FeedListError(NewsreaderError):
    """A change to feeds.toml that cannot be made."""


class AlreadySubscribed(FeedListError):
    def __init__(self, name: str, url: str, path: str | Path) -> None:
        super().__init__(name, url, str(path))
        self.name = name
        self.url = url
        self.path = str(path)

    def __str__(self) -> str:
        return f"already subscribed: {self.name} ({self.url}) in {self.path}"


class NoSuchFeed(FeedListError):
    pass


class OpmlError(NewsreaderError):
    """An OPML file that cannot be used."""


class DiscoveryError(NewsreaderError):
    """No feed could be found or reached behind a URL."""


class Unreachable(DiscoveryError):
    pass


class NoFeedsFound(DiscoveryError):
    pass


class StoreError(NewsreaderError):
    """The cache cannot be used: corrupt, foreign, newer, or the disk refuses."""


class DiskFull(StoreError):
    """The cache's disk (or SQLite's own size limit) is full: nothing was lost, but nothing more fits."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(str(path))
        self.path = str(path)  #: the cache file

    def __str__(self) -> str:
        return f"{self.path}: the cache's disk is full; what was saved stays: free some space and try again"


class RefreshCancelled(NewsreaderError):
    """The run was stopped from outside (`cancel`); every feed saved before that stays saved."""

    def __init__(self, saved: int = 0) -> None:
        super().__init__(saved)
        self.saved = saved  #: feeds whose outcome was recorded before the stop

    def __str__(self) -> str:
        return f"interrupted; {self.saved} feed{'' if self.saved == 1 else 's'} saved"
