"""The built tagger kept in the user's cache directory, so that a start reads it instead of building it.

Building the name table and the automaton from the data file is most of a cold start; reading them
back is a few times faster (benchmarks/README.md). The file lives in platformdirs' user cache directory
(``~/.cache/newsreader/geo`` on Linux); NEWSREADER_GEO_CACHE names another directory, or "off".

A file's name is a digest of everything the tables are built from: the data file, the geo modules'
source, the pyahocorasick version and build, and Python's. It is written to a temporary file that is
renamed into place, so a start never reads half of one; a file that cannot be read, whatever the
reason, is built again; a cache directory that cannot be written is no error. The newest CACHE_KEEP
files are kept: two checkouts of different versions would otherwise delete each other's.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import ahocorasick
import platformdirs

CACHE_KEEP = 3
_PATTERN = "tagger-*.pickle"


def _ahocorasick_version() -> str:
    """pyahocorasick's version, from its distribution's metadata directory beside the module (importing
    importlib.metadata would cost more than everything else here)."""
    lib = Path(ahocorasick.__file__)
    try:
        for entry in os.scandir(lib.parent):
            if entry.name.startswith("pyahocorasick-") and entry.name.endswith(".dist-info"):
                return entry.name[len("pyahocorasick-") : -len(".dist-info")]
    except OSError:
        pass
    return "unknown"


def cache_path(data_digest: str) -> Path | None:
    """Where the tagger built from the data file of `data_digest` is kept; None when caching is off."""
    where = os.environ.get("NEWSREADER_GEO_CACHE", "")
    if where == "off" or not data_digest:
        return None
    try:
        digest = hashlib.sha256(data_digest.encode())
        here = Path(__file__).resolve().parent
        for source in sorted(here.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
        lib = os.stat(ahocorasick.__file__)
        digest.update(f"{_ahocorasick_version()}:{lib.st_size}:{lib.st_mtime_ns}:{sys.version}".encode())
        base = Path(where) if where else Path(platformdirs.user_cache_dir("newsreader", appauthor=False)) / "geo"
    except (OSError, AttributeError):
        return None
    return base / _PATTERN.replace("*", digest.hexdigest()[:24])


def read(path: Path) -> Any | None:
    """What write() kept at `path`, or None when there is nothing there that can be read."""
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # any damage to a cache file means building again, whatever it raises
        return None


def write(path: Path, built: Any) -> None:
    """Keep `built` at `path` for the next start."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(built, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: a parallel start reads the old file or the new, never half
        kept = sorted(path.parent.glob(_PATTERN), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in (*kept[CACHE_KEEP:], *path.parent.glob("names-*.automaton")):  # and the previous format's
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
