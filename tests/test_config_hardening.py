"""Hostile config input (issue 11, rows 6-9): every bad feeds.toml, OPML file or `add` argument ends in one
line on stderr and exit 2, never a traceback, a hang or a runaway; a large feeds.toml loads in linear time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsreader.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line(err: str, starts: str = "newsreader: ") -> None:
    assert err.startswith(starts), err
    assert err.count("\n") == 1 and "Traceback" not in err and "unexpected error" not in err, err
    assert len(err) < 400, err


def newsreader(*args: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process."""
    return subprocess.run([sys.executable, "-m", "newsreader", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


# -- row 7: files that are not files, too large, or nested too deep -------------------------------------


@pytest.mark.parametrize(("text", "line", "words"), [
    ("x = " + "[" * 1000 + "]" * 1000 + "\n", None, "TOML nested too deep"),
    ("x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n", None, "TOML nested too deep"),
    ("[settings]\nkeep_days = " + "9" * 5000 + "\n", 2, "TOML number too long"),
])
def test_nesting_and_numbers_too_large_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    text: str, line: int | None, words: str) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(text)
    status, _, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2
    assert_one_line(err, f"newsreader: {config}:{line}: " if line else f"newsreader: {config}: ")
    assert words in err


@pytest.mark.parametrize(("path", "words"), [("/dev/zero", "is a device"), ("/dev/urandom", "is a device"),
                                             ("/dev/null", "is a device")])
def test_a_device_is_never_read_as_a_config(tmp_path: Path, path: str, words: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    run = newsreader("--config", path, "--data-dir", str(tmp_path / "data"), "feeds")
    assert run.returncode == 2
    assert run.stderr == f"newsreader: {path}: {words}, not a config file\n"
    run = newsreader("--config", str(tmp_path / "feeds.toml"), "--data-dir", str(tmp_path / "data"), "import-opml", path)
    assert run.returncode == 2
    assert run.stderr == f"newsreader: {path}: {words}, not an OPML file\n"


@pytest.mark.parametrize("command", [["feeds"], ["add", "https://a.test/rss"], ["import-opml", "list.opml"], ["remove", "--yes", "A"]])
def test_a_fifo_is_refused_at_once_and_never_blocks(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "feeds.toml"
    os.mkfifo(fifo)
    (tmp_path / "list.opml").write_text('<opml version="2.0"><body><outline xmlUrl="https://a.test/rss"/></body></opml>')
    run = newsreader("--config", str(fifo), "--data-dir", str(tmp_path / "data"), *command, timeout=30, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr == f"newsreader: {fifo}: is a named pipe, not a config file\n"


def test_an_opml_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "list.opml"
    os.mkfifo(fifo)
    run = newsreader("--config", str(tmp_path / "feeds.toml"), "--data-dir", str(tmp_path / "data"), "import-opml", str(fifo),
                     timeout=30)
    assert run.returncode == 2
    assert run.stderr == f"newsreader: {fifo}: is a named pipe, not an OPML file\n"


def test_directories_and_oversized_files_are_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_cli(capsys, "--config", str(tmp_path), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2 and err == f"newsreader: {tmp_path}: is a directory, not a config file\n"
    big = tmp_path / "feeds.toml"
    with big.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)  # sparse: costs no disk
    status, _, err = run_cli(capsys, "--config", str(big), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2 and err == f"newsreader: {big}: too large for a config file (over 16 MiB)\n"
    status, _, err = run_cli(capsys, "--config", str(big), "--data-dir", str(tmp_path / "data"), "add", "https://a.test/")
    assert status == 2 and err == f"newsreader: {big}: too large for a config file (over 16 MiB)\n"
