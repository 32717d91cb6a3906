"""The gates run with the tests: lint (ruff) and types (mypy) hold on the whole source, so the one test
command README.md gives is the whole check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "--no-cache", "src", "tests", "benchmarks", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    # The cache lives in the checkout (.mypy_cache, ignored by git): a second run takes a second or two.
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
