"""Which proxy a request goes through: the `proxy` setting, else the environment, read as curl and httpx read it.

- `proxy = "http://host:port"` in feeds.toml: every request goes through it; the environment is not read.
- Else `HTTP_PROXY` for http:// URLs, `HTTPS_PROXY` for https:// URLs (through a CONNECT tunnel), and
  `ALL_PROXY` for either when its own variable is unset. Each name is read lower-case first, then upper-case
  (`http_proxy` wins over `HTTP_PROXY`); an empty value counts as unset.
- `NO_PROXY` (or `no_proxy`): a comma- or space-separated list of hosts reached directly. `*` alone means every
  host. `example.com` and `.example.com` both mean that host and every host under it (not `notexample.com`);
  an IP address means that address, `10.0.0.0/8` a network, `host:8080` (or `[::1]:8080`) that host on that
  port only. Names are compared without case and without a trailing dot; nothing is resolved.
- A proxy URL may leave out its scheme (`proxy.example:3128` means http://) and its port (curl's defaults:
  1080, or 443 for https://). Schemes: http, https (TLS to the proxy), socks4, socks4a, socks5, socks5h (the
  `a` and `h` forms let the proxy resolve host names). A login (`http://user:pass@host:port`) is sent as
  Proxy-Authorization, and never shown in a message.

The choice is made again for every request, redirects included: a redirect can lead out of NO_PROXY's reach or
into it. A proxy value that cannot be used fails the requests that would go through it (kind `proxy`), not the
others. Nothing here does I/O.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

#: The proxy schemes we can talk to, with the port each assumes when none is given (curl's defaults).
PROXY_SCHEMES = {"http": 1080, "https": 443, "socks4": 1080, "socks4a": 1080, "socks5": 1080, "socks5h": 1080}
SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})
_DEFAULT_PORTS = {"http": 80, "https": 443}



class BadProxy(ValueError):
    """A proxy value we cannot use; `str()` is one line that says why (and never holds a password)."""


@dataclass(frozen=True, slots=True)
class Proxy:
    scheme: str  #: one of PROXY_SCHEMES
    host: str  #: lower-case, IPv6 without brackets
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def socks(self) -> bool:
        return self.scheme in SOCKS_SCHEMES

    @property
    def address(self) -> str:
        """host:port, as messages name the proxy."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The proxy's URL without its login."""
        return f"{self.scheme}://{self.address}"

    def __repr__(self) -> str:  # keep the password out of tracebacks and logs
        return f"Proxy({self.url!r}{', with a login' if self.username is not None else ''})"


def parse_proxy(value: str) -> Proxy:
    """A proxy URL as feeds.toml or the environment gives it. Raises BadProxy."""
    text = value.strip()
    if not text:
        raise BadProxy("empty proxy URL")
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise BadProxy(f"invalid proxy URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise BadProxy(f"unsupported proxy scheme: {scheme} (use {', '.join(PROXY_SCHEMES)})")
    if not parts.hostname:
        raise BadProxy("the proxy URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadProxy("a proxy URL is a scheme, a host and a port, with no path")
    port_text = port_as_written(parts.netloc)
    if port_text is None:
        port = PROXY_SCHEMES[scheme]
    elif valid_port(port_text):
        port = int(port_text)
    else:
        raise BadProxy(f"bad port in the proxy URL: {port_text[:20]}")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Proxy(scheme, parts.hostname.lower(), port, username, password)


def valid_port(text: str) -> bool:
    """1 to 65535, in ASCII digits."""
    return text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) < 65536


def port_as_written(netloc: str) -> str | None:
    """The port as written after the host in a URL's netloc (None if none), before urllib's checks, so that a
    message can name a bad one."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        port = hostport.partition("]")[2].removeprefix(":")
    else:
        port = hostport.rpartition(":")[2] if ":" in hostport else ""
    return port or None  # "host:" names no port (RFC 3986: the scheme's own)


@dataclass(frozen=True, slots=True)
class _Rule:
    """One NO_PROXY entry."""

    domain: str | None = None  #: this host and every host under it
    address: IPv4Address | IPv6Address | None = None
    network: IPv4Network | IPv6Network | None = None
    port: int | None = None  #: only on this port

    def matches(self, host: str, ip: IPv4Address | IPv6Address | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.domain is not None:
            return host == self.domain or host.endswith("." + self.domain)
        if ip is None:
            return False
        if self.address is not None:
            return ip == self.address
        return self.network is not None and ip.version == self.network.version and ip in self.network


class NoProxy:
    """NO_PROXY's list of hosts reached directly."""

    def __init__(self, value: str = "") -> None:
        self.everything = False
        self.rules: list[_Rule] = []
        for entry in value.replace(",", " ").split():
            entry = entry.lower()
            if entry == "*":
                self.everything = True
            else:
                rule = _rule(entry)
                if rule is not None:
                    self.rules.append(rule)

    def __bool__(self) -> bool:
        return self.everything or bool(self.rules)

    def bypasses(self, host: str, port: int) -> bool:
        """Whether a request to `host` (as in a URL: no brackets, any case, a name in its IDNA form) on `port`
        goes direct."""
        if self.everything:
            return True
        host = host.lower().rstrip(".")
        ip = _ip(host)
        return any(rule.matches(host, ip, port) for rule in self.rules)


def _rule(entry: str) -> _Rule | None:
    """A NO_PROXY entry; None for one that cannot match anything (skipped, as curl does)."""
    port: int | None = None
    if entry.startswith("["):  # [::1] or [::1]:8080
        host, _, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
        entry = host
    elif entry.count(":") == 1:  # host:port (more than one colon is a bare IPv6 address)
        host, _, port_text = entry.partition(":")
        if not port_text.isdigit():
            return None
        entry, port = host, int(port_text)
    import ipaddress  # only here and in _ip: feeds.toml is validated at every start, and most have no NO_PROXY

    if "/" in entry:
        try:
            return _Rule(network=ipaddress.ip_network(entry, strict=False), port=port)
        except ValueError:
            return None
    ip = _ip(entry)
    if ip is not None:
        return _Rule(address=ip, port=port)
    domain = entry.removeprefix("*").lstrip(".").rstrip(".")
    if not domain.isascii():  # hosts are compared in their ASCII (IDNA) form, as a request names them
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return _Rule(domain=domain, port=port) if domain else None


def _ip(host: str) -> IPv4Address | IPv6Address | None:
    import ipaddress

    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Proxies:
    """The proxy for each URL. Build with `Proxies.from_setting` or `Proxies.from_environment`."""

    def __init__(self, *, http: Proxy | BadProxy | None = None, https: Proxy | BadProxy | None = None,
                 no_proxy: NoProxy | None = None) -> None:
        self._by_scheme = {"http": http, "https": https}
        self.no_proxy = no_proxy or NoProxy()
        self.any = http is not None or https is not None

    @classmethod
    def direct(cls) -> Proxies:
        return cls()

    @classmethod
    def from_setting(cls, value: str) -> Proxies:
        """feeds.toml's `proxy`: every request through it, whatever the environment says."""
        proxy = _parsed(value, "the proxy setting")
        return cls(http=proxy, https=proxy)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Proxies:
        environ = os.environ if environ is None else environ
        every = _variable(environ, "all_proxy")
        http = _variable(environ, "http_proxy") or every
        https = _variable(environ, "https_proxy") or every
        no_proxy = _variable(environ, "no_proxy")
        return cls(http=_parsed(*http) if http else None, https=_parsed(*https) if https else None,
                   no_proxy=NoProxy(no_proxy[0] if no_proxy else ""))

    @classmethod
    def for_client(cls, setting: str | None) -> Proxies:
        return cls.from_setting(setting) if setting is not None else cls.from_environment()

    def for_url(self, scheme: str, host: str, port: int | None) -> Proxy | BadProxy | None:
        """The proxy for a request to scheme://host:port (None: go direct; `host` a name in its IDNA form, as
        httpx's URL.raw_host gives it). A BadProxy is to be reported."""
        if not self.any:
            return None
        proxy = self._by_scheme.get(scheme)
        if proxy is None or self.no_proxy.bypasses(host, port or _DEFAULT_PORTS.get(scheme, 0)):
            return None
        return proxy


def _variable(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(its value, the name it was found under): lower-case first, then upper-case; None when both are unset or empty."""
    for found in (name, name.upper()):
        value = environ.get(found, "").strip()
        if value:
            return value, found
    return None


def _parsed(value: str, source: str) -> Proxy | BadProxy:
    try:
        return parse_proxy(value)
    except BadProxy as error:
        return BadProxy(f"{source}: {error}")
