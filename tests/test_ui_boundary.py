"""The domain is reachable without the TUI: no module outside newsreader.ui imports textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import newsreader


def headless_modules() -> list[str]:
    names = ["newsreader"]
    for module in pkgutil.walk_packages(newsreader.__path__, "newsreader."):
        if module.name == "newsreader.ui" or module.name.startswith("newsreader.ui."):
            continue
        if module.name == "newsreader.__main__":  # importing it runs the program
            continue
        names.append(module.name)
    return names


def test_there_are_modules_to_check() -> None:
    names = headless_modules()
    assert {"newsreader.cli", "newsreader.store", "newsreader.refresh", "newsreader.library", "newsreader.geo"} <= set(names)


def test_no_headless_module_imports_textual() -> None:
    names = headless_modules()
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'textual' not in sys.modules, name + ' imported textual'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_the_ui_package_itself_is_cheap() -> None:
    """`newsreader.ui` is imported by the CLI for every `newsreader` run: it must not pull Textual in early."""
    result = subprocess.run([sys.executable, "-c", "import sys, newsreader.ui; print('textual' in sys.modules)"],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
