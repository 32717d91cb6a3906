"""Which proxy each URL goes through (net/proxies.py): the environment as curl and httpx read it, and the setting.

Pure rules, no sockets; tests/test_proxy.py sends real requests through real proxies.
"""

from __future__ import annotations

import pytest

from newsreader.net.proxies import BadProxy, NoProxy, Proxies, Proxy, parse_proxy


def choose(environ: dict[str, str], url: str) -> Proxy | BadProxy | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return Proxies.from_environment(environ).for_url(parts.scheme, parts.hostname or "", parts.port)


def address(environ: dict[str, str], url: str) -> str | None:
    proxy = choose(environ, url)
    assert not isinstance(proxy, BadProxy), proxy
    return proxy.address if proxy else None


# -- which variable, for which scheme ------------------------------------------------------------------------


def test_nothing_set_means_direct():
    assert address({}, "http://example.org/feed") is None
    assert address({}, "https://example.org/feed") is None


def test_http_proxy_is_for_http_urls_and_https_proxy_for_https_urls():
    environ = {"HTTP_PROXY": "http://plain:3128", "HTTPS_PROXY": "http://tunnel:3129"}
    assert address(environ, "http://example.org/") == "plain:3128"
    assert address(environ, "https://example.org/") == "tunnel:3129"
    assert address({"HTTP_PROXY": "http://plain:3128"}, "https://example.org/") is None
    assert address({"HTTPS_PROXY": "http://tunnel:3129"}, "http://example.org/") is None


def test_all_proxy_covers_both_unless_a_scheme_has_its_own():
    assert address({"ALL_PROXY": "http://every:8080"}, "http://a.example/") == "every:8080"
    assert address({"ALL_PROXY": "http://every:8080"}, "https://a.example/") == "every:8080"
    environ = {"ALL_PROXY": "http://every:8080", "HTTPS_PROXY": "http://tunnel:3129"}
    assert address(environ, "https://a.example/") == "tunnel:3129"
    assert address(environ, "http://a.example/") == "every:8080"


def test_lower_case_wins_over_upper_case_and_empty_counts_as_unset():
    assert address({"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"}, "http://a.example/") == "lower:1"
    assert address({"http_proxy": "", "HTTP_PROXY": "http://upper:2"}, "http://a.example/") == "upper:2"
    assert address({"https_proxy": "http://lower:1"}, "https://a.example/") == "lower:1"
    assert address({"all_proxy": "http://lower:1", "ALL_PROXY": "http://upper:2"}, "https://a.example/") == "lower:1"
    assert address({"HTTP_PROXY": "  "}, "http://a.example/") is None


def test_the_setting_wins_over_the_environment_and_no_proxy(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://env:3128")
    monkeypatch.setenv("NO_PROXY", "*")
    proxies = Proxies.for_client("http://setting:8080")
    assert proxies.for_url("http", "example.org", None) == Proxy("http", "setting", 8080)
    assert proxies.for_url("https", "example.org", 443) == Proxy("http", "setting", 8080)
    assert Proxies.for_client(None).for_url("http", "example.org", None) is None  # NO_PROXY=* in the environment


# -- NO_PROXY ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("no_proxy", "host", "port", "direct"), [
    ("*", "anything.example", 80, True),
    ("example.com", "example.com", 80, True),
    ("example.com", "www.example.com", 80, True),
    ("example.com", "a.b.example.com", 443, True),
    ("example.com", "notexample.com", 80, False),
    ("example.com", "example.com.evil.test", 80, False),
    (".example.com", "example.com", 80, True),
    (".example.com", "www.example.com", 80, True),
    ("*.example.com", "www.example.com", 80, True),
    ("EXAMPLE.com.", "Www.Example.COM.", 80, True),
    ("localhost,127.0.0.1", "127.0.0.1", 8080, True),
    ("localhost 127.0.0.1", "localhost", 8080, True),
    ("127.0.0.1", "127.0.0.2", 80, False),
    ("10.0.0.0/8", "10.20.30.40", 80, True),
    ("10.0.0.0/8", "11.0.0.1", 80, False),
    ("10.0.0.0/8", "ten.example", 80, False),
    ("::1", "::1", 80, True),
    ("[::1]", "::1", 80, True),
    ("[::1]:8080", "::1", 8080, True),
    ("[::1]:8080", "::1", 8081, False),
    ("fd00::/8", "fd12::1", 80, True),
    ("fd00::/8", "10.0.0.1", 80, False),
    ("example.com:8080", "example.com", 8080, True),
    ("example.com:8080", "www.example.com", 8080, True),
    ("example.com:8080", "example.com", 80, False),
    ("127.0.0.1:443", "127.0.0.1", 443, True),
    ("127.0.0.1:443", "127.0.0.1", 80, False),
    ("", "example.com", 80, False),
    (" , ,", "example.com", 80, False),
    ("*example.com", "myexample.com", 80, False),
    ("münchen.de", "xn--mnchen-3ya.de", 80, True),
    ("xn--mnchen-3ya.de", "www.xn--mnchen-3ya.de", 80, True),
])
def test_no_proxy(no_proxy, host, port, direct):
    assert NoProxy(no_proxy).bypasses(host, port) is direct


def test_no_proxy_applies_to_the_default_port_of_the_scheme():
    environ = {"HTTPS_PROXY": "http://tunnel:3129", "NO_PROXY": "secure.example:443"}
    assert address(environ, "https://secure.example/") is None
    assert address(environ, "https://secure.example:8443/") == "tunnel:3129"


def test_no_proxy_star_inside_a_list_still_means_everything_and_lower_case_wins():
    assert address({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com, *"}, "http://other.test/") is None
    assert address({"HTTP_PROXY": "http://p:1", "no_proxy": "a.test", "NO_PROXY": "*"}, "http://b.test/") == "p:1"


# -- proxy URLs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("http://proxy.example:3128", Proxy("http", "proxy.example", 3128)),
    ("proxy.example:3128", Proxy("http", "proxy.example", 3128)),
    ("HTTP://Proxy.Example:3128/", Proxy("http", "proxy.example", 3128)),
    ("http://proxy.example", Proxy("http", "proxy.example", 1080)),  # curl's default port
    ("http://proxy.example:", Proxy("http", "proxy.example", 1080)),
    ("https://proxy.example", Proxy("https", "proxy.example", 443)),
    ("socks5h://127.0.0.1:1080", Proxy("socks5h", "127.0.0.1", 1080)),
    ("socks4a://[::1]:9050", Proxy("socks4a", "::1", 9050)),
    ("http://us%40er:p%3Ass@proxy:8080", Proxy("http", "proxy", 8080, "us@er", "p:ss")),
])
def test_parse_proxy(value, expected):
    assert parse_proxy(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("", "empty proxy URL"),
    ("ftp://proxy:21", "unsupported proxy scheme: ftp (use http, https, socks4, socks4a, socks5, socks5h)"),
    ("socks7://proxy:1", "unsupported proxy scheme: socks7"),
    ("http://proxy:99999", "bad port in the proxy URL: 99999"),
    ("http://proxy:0", "bad port in the proxy URL: 0"),
    ("http://proxy:abc", "bad port in the proxy URL: abc"),
    ("http://:3128", "the proxy URL has no host"),
    ("http://proxy:3128/path", "a proxy URL is a scheme, a host and a port, with no path"),
    ("http://[::1:3128", "invalid proxy URL (Invalid IPv6 URL)"),
])
def test_bad_proxy_urls_say_what_is_wrong(value, message):
    with pytest.raises(BadProxy) as caught:
        parse_proxy(value)
    assert str(caught.value).startswith(message)


def test_a_bad_proxy_variable_fails_only_the_urls_it_would_carry_and_names_the_variable():
    environ = {"https_proxy": "socks7://x:1", "HTTP_PROXY": "http://fine:3128"}
    assert address(environ, "http://a.example/") == "fine:3128"
    bad = choose(environ, "https://a.example/")
    assert isinstance(bad, BadProxy)
    assert str(bad) == "https_proxy: unsupported proxy scheme: socks7 (use http, https, socks4, socks4a, socks5, socks5h)"


def test_the_password_never_shows():
    proxy = parse_proxy("http://user:hunter2@proxy:3128")
    assert "hunter2" not in repr(proxy) and "hunter2" not in proxy.url and "hunter2" not in proxy.address
    assert proxy.password == "hunter2"
    with pytest.raises(BadProxy) as caught:
        parse_proxy("http://user:hunter2@proxy:99999")
    assert "hunter2" not in str(caught.value)


def test_feeds_toml_refuses_a_proxy_setting_it_cannot_use_naming_the_line():
    from newsreader.config.load import parse_config
    from newsreader.errors import ConfigError

    assert parse_config('[settings]\nproxy = "http://proxy.example:3128"\n').settings.proxy == "http://proxy.example:3128"
    with pytest.raises(ConfigError) as caught:
        parse_config('[settings]\ntimeout = 5\nproxy = "ftp://user:secret@proxy:21"\n')
    assert str(caught.value) == ('feeds.toml:3: setting \'proxy\' must be a proxy URL such as "http://proxy.example:3128": '
                                 "unsupported proxy scheme: ftp (use http, https, socks4, socks4a, socks5, socks5h)")
