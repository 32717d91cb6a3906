"""Story clusters through the product on the OG2021 development set (skipped without the corpus): its
stories served as feeds over loopback, fetched, and read back with `list --json`, as
benchmarks/cluster_product.py measures them."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from newsreader.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _benchmark(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


quality = _benchmark("cluster_quality")
product = _benchmark("cluster_product")
#: The first days of the set: enough stories for the figures to mean something, few enough to be quick.
DAYS = 12


def in_process(config: Path, data: Path):  # type: ignore[no-untyped-def]
    def run(args: Sequence[str]) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["--config", str(config), "--data-dir", str(data), *args]) == 0
        return out.getvalue()

    return run


@pytest.mark.corpus
def test_the_dev_set_through_fetch_and_list_clusters_as_the_clusterer_does(tmp_path: Path) -> None:
    if not quality.DEV_SET.exists():
        pytest.skip(f"the OG2021 development set is not at {quality.DEV_SET}")
    rows = quality.load(quality.DEV_SET)
    first = sorted({row["published"][:10] for row in rows})[DAYS - 1]
    rows = [row for row in rows if row["published"][:10] <= first]
    one, _ = product.through_product(rows, tmp_path / "one", cli=in_process)
    figures = quality.evaluate(rows, one)
    mono, multi = figures["mono"], figures["multi"]
    # The clusterer alone on these days (cluster_quality.py's run, same countries): about the same.
    assert mono.precision >= 0.90 and mono.f1 >= 0.75, mono
    assert multi.precision >= 0.88 and multi.f1 >= 0.64, multi
    # the same stories in three fetches, each finding the feeds grown: the same figures (ties in publication
    # time are ordered by arrival, so a story or two may fall otherwise)
    three, _ = product.through_product(rows, tmp_path / "three", fetches=3, cli=in_process)
    again = quality.evaluate(rows, three)
    assert abs(again["mono"].f1 - mono.f1) < 0.01 and abs(again["multi"].f1 - multi.f1) < 0.01
