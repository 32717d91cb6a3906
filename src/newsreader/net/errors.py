"""Why a download failed, as a kind the CLI and the reader can act on, and a line a person can read.

Nothing reads the message to learn the kind: the kind is set where the failure is caught.
"""

from __future__ import annotations

from enum import Enum


class FailureKind(str, Enum):
    DNS = "dns"  #: the host name does not resolve
    CONNECT = "connect"  #: refused, unreachable, reset before a response
    TLS = "tls"  #: handshake failed or certificate not trusted
    PROXY = "proxy"  #: the proxy refused or could not reach the server
    TIMEOUT = "timeout"
    HTTP = "http"  #: the server answered with an error status (see `status`)
    TOO_LARGE = "too-large"  #: the body passed the size cap (on the wire or once decompressed)
    REDIRECTS = "redirect-loop"  #: too many redirects, or a redirect we will not follow
    BAD_URL = "bad-url"  #: not a URL we can fetch (scheme, port, malformed host)
    PROTOCOL = "protocol"  #: the server broke off or sent something that is not HTTP
    DECODING = "decoding"  #: the body could not be decompressed


class FetchError(Exception):
    """A download that failed. `str()` is one line fit for a status column; `kind` says what went wrong."""

    def __init__(self, kind: FailureKind, message: str, status: int | None = None, retry_after: float | None = None,
                 final_url: str | None = None) -> None:
        super().__init__(kind, message, status, retry_after, final_url)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after  #: epoch seconds before which the server asked us not to return
        self.final_url = final_url  #: where a permanent redirect led, to be remembered even on failure

    def __str__(self) -> str:
        return self.message
