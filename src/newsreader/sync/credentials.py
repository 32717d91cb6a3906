"""The sync password, from where [sync] says: password_command, password_file or NEWSREADER_SYNC_PASSWORD.

It is read when a sync first needs it and kept, as a Secret, for the rest of the process (the reader syncs
every half hour: `pass` need not ask each time); a login the server refuses forgets it, so a corrected file
or command is read again. The variable is read each time. A password_file anyone but its owner may read is refused, as ssh refuses such a
key. Every failure is a SyncError of kind CREDENTIALS whose line says what to fix; none holds the password.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from newsreader.config.sync import PASSWORD_VARIABLE
from newsreader.sync.errors import SyncError, SyncErrorKind
from newsreader.sync.model import Secret
from newsreader.text.sanitize import safe_line

if TYPE_CHECKING:
    from newsreader.config.sync import SyncConfig

#: A password command that has not answered in this long (a prompt nobody sees, say) is given up on.
COMMAND_TIMEOUT = 60.0

_kept: dict[tuple[str, ...], Secret] = {}
_lock = threading.Lock()


def _key(sync: SyncConfig) -> tuple[str, ...]:
    return (sync.identity, sync.password_command or "", sync.password_file or "")


def password_for(sync: SyncConfig, environ: Mapping[str, str] | None = None) -> Secret:
    """The password, read once per process (the variable: each time, it costs nothing);
    SyncError(CREDENTIALS) when it cannot be had."""
    if not sync.password_command and not sync.password_file:
        return _read(sync, os.environ if environ is None else environ)
    key = _key(sync)
    with _lock:
        if key in _kept:
            return _kept[key]
        secret = _read(sync, os.environ if environ is None else environ)
        _kept[key] = secret
        return secret


def forget(sync: SyncConfig) -> None:
    """The server refused the password: read it again next time."""
    with _lock:
        _kept.pop(_key(sync), None)


def _read(sync: SyncConfig, environ: Mapping[str, str]) -> Secret:
    if sync.password_command:
        return _from_command(sync.password_command)
    if sync.password_file:
        return _from_file(Path(sync.password_file))
    value = environ.get(PASSWORD_VARIABLE)
    if value:
        return Secret(value)
    raise _failure(f"no password for {sync.name}: set password_command or password_file in [sync], "
                   f"or {PASSWORD_VARIABLE}")


def _from_command(command: str) -> Secret:
    try:
        # No terminal input: in the reader the screen is Textual's. A command that must ask (gpg's pinentry)
        # asks through its own agent, or fails and says so.
        done = subprocess.run(command, shell=True, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise _failure(f"password_command did not finish within {COMMAND_TIMEOUT:g} s") from None
    except OSError as error:
        raise _failure(f"password_command could not run: {error.strerror or error}") from None
    if done.returncode != 0:
        said = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        why = f": {safe_line(said[-1])[:160]}" if said else ""
        raise _failure(f"password_command failed (exit status {done.returncode}){why}")
    return _first_line(done.stdout.decode("utf-8", "replace"), "password_command printed no password")


def _from_file(path: Path) -> Secret:
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise _failure(f"password_file {path} may be read by others (mode {stat.S_IMODE(mode):04o}): "
                               f"run chmod 600 {path}")
            data = file.read(64 * 1024)
    except OSError as error:
        raise _failure(f"cannot read password_file {path}: {error.strerror or error}") from None
    return _first_line(data.decode("utf-8", "replace"), f"password_file {path} is empty")


def _first_line(text: str, empty: str) -> Secret:
    line = text.splitlines()[0] if text else ""
    if not line:
        raise _failure(empty)
    return Secret(line)


def _failure(line: str) -> SyncError:
    return SyncError(SyncErrorKind.CREDENTIALS, line)
