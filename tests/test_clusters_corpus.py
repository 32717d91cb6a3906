"""The clusterer's quality on the OG2021 development set (skipped without the corpus), and the scoring."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quality_module():
    spec = importlib.util.spec_from_file_location("cluster_quality", ROOT / "benchmarks" / "cluster_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


quality = _quality_module()


def test_bcubed_and_pairwise_scores_of_a_small_example():
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    s = quality.score(gold, predicted)
    # item precisions: 1, 1, 1/3, 2/3, 2/3; recalls: 2/3, 2/3, 1/3, 1, 1
    assert s.precision == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3) / 5)
    assert s.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)
    # pairs: predicted {01, 23, 24, 34}, gold {01, 02, 12, 34}; shared {01, 34}
    assert (s.pair_precision, s.pair_recall) == (pytest.approx(0.5), pytest.approx(0.5))
    assert quality.score(gold, gold).f1 == 1.0


def test_mono_scores_within_a_language_and_cross_language_recall_counts_pairs_of_two_languages():
    rows = [{"cluster": "e", "lang": "en"}, {"cluster": "e", "lang": "en"}, {"cluster": "e", "lang": "fr"},
            {"cluster": "f", "lang": "fr"}]
    figures = quality.evaluate(rows, [1, 1, 2, 2])
    assert figures["mono"].recall == 1.0  # "e" in French is its own gold cluster
    assert figures["mono"].precision == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)
    assert figures["cross_recall"] == 0.0
    assert quality.evaluate(rows, [1, 1, 1, 2])["cross_recall"] == 1.0


@pytest.mark.corpus
def test_dev_set_figures_stay_above_their_floor():
    if not quality.DEV_SET.exists():
        pytest.skip(f"the OG2021 development set is not at {quality.DEV_SET}")
    rows = quality.load(quality.DEV_SET)
    predicted = quality.run(quality.to_stories(rows))
    figures = quality.evaluate(rows, predicted)
    mono, multi = figures["mono"], figures["multi"]
    # Measured (benchmarks/README.md): mono P 0.925 F1 0.771, multi P 0.907 F1 0.669, cross-language 0.314.
    assert mono.precision >= 0.90 and mono.f1 >= 0.75, mono
    assert multi.precision >= 0.88 and multi.f1 >= 0.64, multi
    assert figures["cross_recall"] >= 0.25
