"""What can go wrong talking to a sync server, as one exception with a kind.

    SyncError(kind, message, status=None, detail=None)
      kind: SyncErrorKind
        UNREACHABLE     no answer: DNS, connection refused or dropped, not an http(s) URL
        TIMEOUT         the server took longer than the HTTP client's timeout
        TLS             the TLS handshake failed (an untrusted certificate, say)
        HTTP_STATUS     an HTTP error status (4xx, 5xx), `status` set
        BAD_RESPONSE    an answer that is not the API's: not JSON, the wrong shape, or too large
        LOGIN_REFUSED   wrong user or password (tt-rss LOGIN_ERROR, Fever auth 0)
        API_DISABLED    tt-rss: the API is off for this user (a per-user preference on the server)
        REJECTED        the server understood the request and refused it (a subscription that failed, an
                        unknown feed); `detail` may carry the server's own words
        UNSUPPORTED     the protocol cannot do that at all (Fever has no subscribing)
        CREDENTIALS     no password to log in with: the [sync] password_command failed, its password_file is
                        missing or readable by others, or none is given

`str(error)` is one line for a status bar: what failed, where, and why, in our words. Callers branch on
`kind`, never on the text. `detail` is server text (hostile: show it literally or not at all). No message,
`repr` or `detail` built here ever holds a password or a Fever API key; the clients raise `from None` so a
traceback does not carry the HTTP library's frames (and their request bodies) either.
"""

from __future__ import annotations

import os
import ssl
from enum import StrEnum

import httpx

from newsreader.net.errors import FailureKind, FetchError


class SyncErrorKind(StrEnum):
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    HTTP_STATUS = "http status"
    BAD_RESPONSE = "bad response"
    LOGIN_REFUSED = "login refused"
    API_DISABLED = "api disabled"
    REJECTED = "rejected"
    UNSUPPORTED = "unsupported"
    CREDENTIALS = "credentials"


#: Kinds that the person must fix in feeds.toml or on the server, not wait out: trying again cannot help.
SETTINGS_KINDS = frozenset({SyncErrorKind.LOGIN_REFUSED, SyncErrorKind.API_DISABLED, SyncErrorKind.CREDENTIALS,
                            SyncErrorKind.UNSUPPORTED})


class SyncError(Exception):
    """A sync request that failed. `str()` is one line; `kind` says what happened."""

    def __init__(self, kind: SyncErrorKind, message: str, status: int | None = None,
                 detail: str | None = None) -> None:
        # Every argument goes to Exception so the error survives pickling (a worker process, say).
        super().__init__(kind, message, status, detail)
        self.kind = SyncErrorKind(kind)
        self.message = message
        self.status = status  #: the HTTP status, for HTTP_STATUS
        self.detail = detail  #: the server's own words, when it gave any (hostile text)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"SyncError({self.kind.value!r}, {self.message!r})"


def transport_error(error: httpx.HTTPError, where: str) -> SyncError:
    """An httpx exception (from httpx's own transport or the reader's aiohttp one) as a SyncError."""
    if isinstance(error, httpx.TimeoutException):
        return SyncError(SyncErrorKind.TIMEOUT, f"{where}: timed out")
    tls = _tls_causes(error)
    if tls:
        verify = next((getattr(c, "verify_message", None) for c in tls if getattr(c, "verify_message", None)), None)
        if verify or any(isinstance(c, ssl.SSLCertVerificationError) for c in tls):
            reason = f"its certificate is not trusted ({verify or 'verification failed'})"
        else:
            detail = next((getattr(c, "reason", None) for c in tls if getattr(c, "reason", None)), None)
            reason = f"TLS failed ({detail or type(tls[-1]).__name__})"
        return SyncError(SyncErrorKind.TLS, f"{where}: {reason}")
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return SyncError(SyncErrorKind.UNREACHABLE, f"{where}: not an http(s) URL")
    reason = _os_reason(error) or type(error).__name__
    return SyncError(SyncErrorKind.UNREACHABLE, f"{where}: unreachable ({reason})")


#: What each of the reader's own download failures (net.errors) is to a sync.
_FETCH_KINDS = {
    FailureKind.TLS: SyncErrorKind.TLS,
    FailureKind.TIMEOUT: SyncErrorKind.TIMEOUT,
    FailureKind.HTTP: SyncErrorKind.HTTP_STATUS,
    FailureKind.TOO_LARGE: SyncErrorKind.BAD_RESPONSE,
    FailureKind.DECODING: SyncErrorKind.BAD_RESPONSE,
}


def fetch_error(error: FetchError, where: str) -> SyncError:
    """A FetchError (the reader's aiohttp transport, or its HttpClient) as a SyncError. Its message is already
    one safe line naming the host, never the request's body."""
    kind = _FETCH_KINDS.get(error.kind, SyncErrorKind.UNREACHABLE)
    return SyncError(kind, f"{where}: {error}", status=error.status if kind is SyncErrorKind.HTTP_STATUS else None)


def _causes(error: BaseException):
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "os_error", None)]


def _tls_causes(error: BaseException) -> list[ssl.SSLError]:
    """The TLS errors under an httpx one (aiohttp wraps the ssl module's in its own SSLError subclasses)."""
    return [cause for cause in _causes(error) if isinstance(cause, ssl.SSLError)]


def _os_reason(error: BaseException) -> str | None:
    """'Connection refused' from the OSError under the httpx one, else httpx's own (one-line) message."""
    for cause in _causes(error):
        if isinstance(cause, OSError) and cause.errno and cause.errno > 0:
            return os.strerror(cause.errno)
    text = str(error).strip().splitlines()
    return text[0][:200] if text else None
