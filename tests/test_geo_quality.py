"""Measured quality: our labelled set (F1 >= 0.97), lgl-dev (US local news) and the publishers' own place tags."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def _quality_module():
    spec = importlib.util.spec_from_file_location("geo_quality", ROOT / "benchmarks" / "geo_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quality = _quality_module()


def test_labelled_set_is_large_and_varied():
    stories = quality.load_labelled()
    assert len(stories) >= 150
    assert len({s["id"] for s in stories}) == len(stories)
    langs = Counter(s["lang"] for s in stories)
    for lang in ("en", "fr", "de", "es", "pt", "it", "ru"):
        assert langs[lang] >= 4, lang


def test_labelled_f1():
    precision, recall, f1, errors = quality.score_labelled()
    assert f1 >= 0.97, f"F1 {f1:.3f} (P {precision:.3f} R {recall:.3f}); misses: {errors}"
    sets = quality.score_labelled_sets()
    assert sets.focus / sets.stories >= 0.97, sets


@pytest.mark.corpus
def test_lgl_dev_local_news():
    if not quality.LGL_DEV.is_file():
        pytest.skip(f"lgl-dev not found at {quality.LGL_DEV} (../shared/corpus/geo beside the project)")
    # Measured 0.761 and 0.891 (benchmarks/README.md); the floors leave room for noise, not for a
    # return of the errors of issue 14 (0.549 and 0.765 before).
    without, with_home = quality.score_lgl(None), quality.score_lgl("US")
    assert without.focus / without.stories >= 0.74, without.line()
    assert with_home.focus / with_home.stories >= 0.87, with_home.line()
    assert with_home.tp / (with_home.tp + with_home.fp) >= 0.88, with_home.line()


@pytest.mark.corpus
def test_publishers_tags_recall():
    if not (CORPUS / "feeds").is_dir():
        pytest.skip(f"real-world corpus not found at {CORPUS}")
    results = quality.score_external()
    guardian, nyt, both = results["guardian"], results["nyt"], results["all"]
    assert guardian.stories >= 30 and nyt.stories >= 30
    assert guardian.tp_all / guardian.expected >= 0.90, results
    # NYT's nyt_geo tags often name places only the article body mentions (a "European heat wave"
    # story tagged France, Italy, Spain), so what the feed gives cannot reach 0.85 there: guard the
    # level measured instead (see benchmarks/README.md).
    assert nyt.tp_all / nyt.expected >= 0.70, results
    assert both.tp_all / both.expected >= 0.82, results
    # Every publisher tag whose country the story names somewhere (by any of our names) is found,
    # and the extra countries stay few.
    assert both.tp_all / both.reachable >= 0.97, results
    assert both.tp_all / (both.tp_all + both.fp_all) >= 0.75, results
    assert both.tp / (both.tp + both.fp) >= 0.87, results
