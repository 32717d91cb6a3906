"""Handing a link to the world outside the terminal: a browser, the clipboard. Each says, in one line, what
really happened: "Opened" only when a browser took the link, "Copied" only when a clipboard did.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import webbrowser

from newsreader.text.sanitize import safe_line

#: Browsers that run inside the terminal: started under the reader, they would take its screen.
_CONSOLE_BROWSERS = frozenset({"www-browser", "links", "links2", "elinks", "lynx", "w3m"})
CLIPBOARD_TIMEOUT = 3.0


def open_in_browser(url: str, command: str | None = None) -> tuple[bool, str]:
    """Open `url`: with `command` (feeds.toml's `browser`: "%u" stands for the link, else it goes last), else
    with the system's browser. Returns (opened, the line to show)."""
    shown = safe_line(url)
    if command:
        argv = shlex.split(command)
        argv = [part.replace("%u", url) for part in argv] if any("%u" in part for part in argv) else [*argv, url]
        try:
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        except OSError as error:
            return False, f"Could not run the browser {safe_line(argv[0])!r}: {error.strerror or error}"
        return True, f"Opened {shown} with {safe_line(os.path.basename(argv[0]))}"
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False, ("No browser found to open the link: set browser = \"firefox\" (or any command) in [settings] "
                       "of feeds.toml")
    name = getattr(browser, "name", "") or type(browser).__name__
    if os.path.basename(name) in _CONSOLE_BROWSERS:
        return False, (f"Only a text browser ({name}) is here, which would take over this screen: set browser in "
                       "[settings] of feeds.toml, or copy the link with y")
    try:
        opened = browser.open(url)
    except (OSError, webbrowser.Error) as error:
        return False, f"The browser could not open the link: {safe_line(str(error))}"
    if not opened:
        return False, f"The browser {safe_line(name)} did not take the link"
    return True, f"Opened {shown} in {safe_line(os.path.basename(name))}"


def _clipboard_tools() -> list[list[str]]:
    tools = []
    if os.environ.get("WAYLAND_DISPLAY"):
        tools.append(["wl-copy"])
    if os.environ.get("DISPLAY"):
        tools += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    if sys.platform == "darwin":
        tools.append(["pbcopy"])
    if hasattr(os, "uname") and "microsoft" in os.uname().release.lower():  # WSL
        tools.append(["clip.exe"])
    return [tool for tool in tools if shutil.which(tool[0])]


def copy_with_tool(text: str) -> str | None:
    """Copy with the system's clipboard tool (wl-copy, xclip, xsel, pbcopy); the line to show, or None when
    there is no tool that took it (then the terminal's own clipboard, OSC 52, is the way left)."""
    for tool in _clipboard_tools():
        try:
            done = subprocess.run(tool, input=text.encode(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=CLIPBOARD_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return f"Copied {safe_line(text)} (with {tool[0]})"
    return None


def osc52_note() -> str:
    """What to tell after sending the link with OSC 52, which no program can see arrive."""
    if os.environ.get("TMUX"):
        return "sent to the terminal's clipboard (OSC 52); tmux passes it on only with `set -g set-clipboard on`"
    if os.environ.get("STY"):
        return "sent to the terminal's clipboard (OSC 52); GNU screen does not pass it on"
    return "sent to the terminal's clipboard (OSC 52), if the terminal accepts it"
