"""Hostile config input (issue 11, rows 6-9): every bad feeds.toml, OPML file or `add` argument ends in one
line on stderr and exit 2, never a traceback, a hang or a runaway; a large feeds.toml loads in linear time."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config import ConfigError, load_config, parse_config
from newsreader.config.edit import add_feed, add_feeds, find_feed, normalise_url, remove_feed
from newsreader.config.load import MAX_STORIES_RANGE, SETTING_RANGES, feed_url_problem
from newsreader.config.opml import import_opml, parse_opml
from newsreader.config.types import FeedConfig
from newsreader.feeds.discover import normalise_input
from newsreader.library import DiscoveryError


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


# -- row 6: URLs that urlsplit cannot take ----------------------------------------------------------------

BAD_URLS = [
    ("http://[::1/x", "unbalanced [ ] around its host"),
    ("http://a.test:99999/x", "its port '99999' is not a number from 1 to 65535"),
    ("http://a.test:abc/", "its port 'abc' is not a number from 1 to 65535"),
    ("http://a.test:0/", "its port '0' is not a number from 1 to 65535"),
    ("http://:80/", "it names no host"),
    ("http:///x", "it names no host"),
    ("http://a b.test/", "a space in its host"),
    ("http://a.test/\x1b[31m", "a control character in it"),
    ("http://a.test/\x9b31m", "a control character in it"),
    ("http://a.test/\udcff", "bytes in it that are not UTF-8 text"),
    ("http://[x]/", "'x' does not appear to be an IPv4 or IPv6 address"),
]


@pytest.mark.parametrize(("url", "problem"), BAD_URLS, ids=[url for url, _ in BAD_URLS])
def test_feed_url_problem_names_what_is_wrong(url: str, problem: str) -> None:
    assert feed_url_problem(url) == problem


@pytest.mark.parametrize("url", ["http://a.test/", "https://A.Test:8443/x?y#z", "http://[::1]:8080/feed", "http://a.test/a b",
                                 "http://user:pw@a.test/", "https://é.example/ü", "HTTPS://a.test", "http://a.test:/"])
def test_feed_url_problem_lets_good_urls_through(url: str) -> None:
    assert feed_url_problem(url) is None


def _toml_string(value: str) -> str:
    return '"' + "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in value) + '"'


@pytest.mark.parametrize(("url", "problem"), [case for case in BAD_URLS if "\udcff" not in case[0]],
                         ids=[url for url, _ in BAD_URLS if "\udcff" not in url])
def test_a_bad_url_in_feeds_toml_names_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         url: str, problem: str) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(f'[[feeds]]\nname = "Good"\nurl = "http://good.test/"\n\n[[feeds]]\nname = "Bad"\nurl = {_toml_string(url)}\n')
    status, out, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2 and out == ""
    assert_one_line(err, f"newsreader: {config}:7: feed url ")
    assert problem.replace("\x1b", "") in err


def test_the_real_command_reports_a_bad_ipv6_url_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nname = "A"\nurl = "http://[::1/x"\n')
    run = newsreader("--config", str(config), "--data-dir", str(tmp_path / "data"), "fetch")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"newsreader: {config}:3: feed url 'http://[::1/x' is not a valid URL: "
                          "unbalanced [ ] around its host\n")


BAD_OUTLINES = """\
<?xml version="1.0"?>
<opml version="2.0"><head><title>mixed</title></head><body>
  <outline text="Bad IPv6" xmlUrl="http://[::1/x"/>
  <outline xmlUrl="http://[::2/untitled"/>
  <outline text="Bad port" xmlUrl="http://a.test:99999/rss"/>
  <outline text="No host" xmlUrl="http://:80/rss"/>
  <outline text="Line break" xmlUrl="http://a.test/&#10;rss"/>
  <outline text="Space" xmlUrl="http://a b.test/rss"/>
  <outline text="Good" xmlUrl="https://good.example/rss"/>
  <outline text="Gopher" xmlUrl="gopher://old.example/"/>
</body></opml>
"""


def test_import_skips_and_reports_bad_outlines_and_keeps_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "list.opml"
    source.write_text(BAD_OUTLINES)
    config = tmp_path / "feeds.toml"
    status, out, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "import-opml", str(source))
    assert (status, err) == (0, "")
    assert "Imported 1 feed into" in out
    assert [(f.name, f.url) for f in load_config(config).feeds] == [("Good", "https://good.example/rss")]
    skipped = [line.strip() for line in out.splitlines() if line.strip().startswith("skipped")]
    assert skipped == [
        "skipped Bad IPv6 (http://[::1/x): not a valid URL: unbalanced [ ] around its host",
        "skipped http://[::2/untitled (http://[::2/untitled): not a valid URL: unbalanced [ ] around its host",
        "skipped Bad port (http://a.test:99999/rss): not a valid URL: its port '99999' is not a number from 1 to 65535",
        "skipped No host (http://:80/rss): not a valid URL: it names no host",
        "skipped Line break (http://a.test/ rss): not a valid URL: a control character in it",
        "skipped Space (http://a b.test/rss): not a valid URL: a space in its host",
        "skipped Gopher (gopher://old.example/): not an http(s) URL: 'gopher://old.example/'",
    ]


def test_import_of_only_bad_outlines_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "list.opml"
    source.write_text('<opml version="2.0"><body><outline text="Bad" xmlUrl="http://[::1/x"/></body></opml>')
    config = tmp_path / "feeds.toml"
    result = import_opml(source, config)
    assert result.added == () and len(result.skipped) == 1
    assert not config.exists()


@pytest.mark.parametrize(("url", "why"), [
    ("http://[::1/x", "unbalanced [ ] around its host"),
    ("http://a.test:99999/x", "its port '99999' is not a number from 1 to 65535"),
    ("a.test:99999", "its port '99999' is not a number from 1 to 65535"),
    ("http://:80/", "it names no host"),
    ("http://a.test/\x1b[31m", "a control character in it"),
    ("ftp://a.test/", "give an http or https URL"),
])
def test_add_names_the_argument_and_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, why: str) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nurl = "https://kept.example/rss"\n')
    before = config.read_bytes()
    status, out, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "add", url)
    assert status == 2 and out == ""
    assert_one_line(err, "newsreader: not a web address: ")
    assert err.rstrip("\n").endswith(f"({why})"), err
    assert config.read_bytes() == before


def test_the_real_add_command_names_a_bad_ipv6_url(tmp_path: Path) -> None:
    run = newsreader("--config", str(tmp_path / "feeds.toml"), "--data-dir", str(tmp_path / "data"), "add", "http://[::1/x")
    assert run.returncode == 2
    assert run.stderr == "newsreader: not a web address: 'http://[::1/x' (unbalanced [ ] around its host)\n"
    assert not (tmp_path / "feeds.toml").exists()


def test_normalise_input_and_remove_never_raise_on_a_malformed_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DiscoveryError, match="not a web address"):
        normalise_input("[::1/x")
    assert normalise_url("http://a.test:99999/x") == "http://a.test:99999/x"
    feeds = [FeedConfig(name="A", url="https://a.test/rss")]
    assert find_feed(feeds, "http://[::1/x") is None
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nname = "A"\nurl = "https://a.test/rss"\n')
    status, _, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "remove", "--yes",
                             "http://a.test:99999/rss")
    assert status == 2
    assert_one_line(err, "newsreader: no feed named or at 'http://a.test:99999/rss'")


def test_add_feeds_skips_a_malformed_url_and_an_undecodable_name_is_still_written(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    result = add_feeds(config, [FeedConfig(name="Bad", url="http://[::1/x"),
                                FeedConfig(name="caf\udce9", url="https://cafe.example/rss")])
    assert [why for _, why in result.skipped] == ["not a valid URL: unbalanced [ ] around its host"]
    assert [f.name for f in load_config(config).feeds] == ["caf?"]


# -- row 7: files that are not files, too large, or nested too deep -------------------------------------


@pytest.mark.parametrize(("text", "line", "words"), [
    ("x = " + "[" * 1000 + "]" * 1000 + "\n", None, "TOML nested too deep"),
    ("x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n", None, "TOML nested too deep"),
    ('[settings]\ntimeout = ' + "[" * 300 + "]" * 300 + "\n", 2, "setting 'timeout' must be a number, not [[[["),
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


# -- row 8: numbers that are not finite or out of range ----------------------------------------------------


def _bad_values(key: str) -> list[float]:
    lowest, highest, _ = SETTING_RANGES[key]
    values = [math.nan, math.inf, -math.inf] if key in ("timeout", "read_dwell") else []
    below = 0 if key == "timeout" else lowest - 1
    return [*values, below, highest + 1]


SETTING_CASES = [(key, value) for key in SETTING_RANGES for value in _bad_values(key)]


def _toml_number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(int(value)) if float(value).is_integer() else str(value)


@pytest.mark.parametrize(("key", "value"), SETTING_CASES, ids=[f"{key}={_toml_number(value)}" for key, value in SETTING_CASES])
def test_every_number_setting_is_finite_and_in_range(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: float) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(f"# settings\n[settings]\n{key} = {_toml_number(value)}\n")
    status, _, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2
    assert_one_line(err, f"newsreader: {config}:3: setting {key!r} must be ")
    highest = SETTING_RANGES[key][1]
    assert f"to {int(highest)} " in err or f"at most {int(highest)} " in err, err
    assert err.endswith(f", not {_toml_number(value)}\n"), err


def test_the_real_command_refuses_a_nan_timeout(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[settings]\ntimeout = nan\n\n[[feeds]]\nurl = "http://a.test/"\n')
    run = newsreader("--config", str(config), "--data-dir", str(tmp_path / "data"), "fetch")
    assert run.returncode == 2
    assert run.stderr == (f"newsreader: {config}:2: setting 'timeout' must be more than 0 and at most 3600 seconds "
                          "(an hour), not nan\n")


def test_the_ends_of_every_range_are_accepted() -> None:
    for key, (lowest, highest, _) in SETTING_RANGES.items():
        for value in (lowest, highest):
            if key == "timeout" and value == 0:
                value = 0.001
            config = parse_config(f"[settings]\n{key} = {_toml_number(value)}\n")
            assert getattr(config.settings, key) == value
    for value in MAX_STORIES_RANGE:
        assert parse_config(f'[[feeds]]\nurl = "http://a.test/"\nmax_stories = {value}\n').feeds[0].max_stories == value


@pytest.mark.parametrize("value", [0, -5, 1_000_001, 2**70])
def test_max_stories_is_in_range(value: int) -> None:
    with pytest.raises(ConfigError, match=r"feeds\.toml:3: feed key 'max_stories' must be from 1 to 1000000 stories"):
        parse_config(f'[[feeds]]\nurl = "http://a.test/"\nmax_stories = {value}\n')


def test_opml_max_stories_out_of_range_or_not_ascii_digits_is_ignored() -> None:
    ns = "https://pypi.org/project/newsreader/#opml"
    outlines = "".join(f'<outline text="F{n}" xmlUrl="https://f{n}.example/" nr:maxStories="{value}"/>'
                       for n, value in enumerate(["²", "99999999999", "0", "٣", "12"]))
    found = parse_opml(f'<opml version="2.0" xmlns:nr="{ns}"><body>{outlines}</body></opml>'.encode())
    assert [feed.max_stories for feed in found.feeds] == [None, None, None, None, 12]


# -- row 9: large files, in linear time, with exact line numbers ---------------------------------------------


def feeds_toml(count: int, *, bad_at: int | None = None) -> tuple[str, int | None]:
    """A feeds.toml of `count` feeds; with `bad_at`, that feed's countries are bad: (text, that line)."""
    parts = ["# a large list\n[settings]\nkeep_days = 30\n"]
    bad_line = None
    for n in range(count):
        comment = f"# feed {n}\n" if n % 10 == 0 else ""
        parts.append(f'\n{comment}[[feeds]]\nname = "Feed {n}"\nurl = "https://site{n}.example/feed.xml"\ntags = ["t{n % 7}"]\n')
        if n == bad_at:
            bad_line = "".join(parts).count("\n") + 1
            parts.append('countries = ["Armenia"]\n')
        else:
            parts.append('countries = ["AM"]\n')
    return "".join(parts), bad_line


def lines_run(action: Callable[[], object]) -> int:
    """How many lines of newsreader's config code `action` runs: a count that does not depend on the machine."""
    count = 0
    config_dir = str(Path(load_config.__code__.co_filename).parent)

    def local(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        return local if frame.f_code.co_filename.startswith(config_dir) else None

    sys.settrace(tracer)
    try:
        action()
    except ConfigError:
        pass
    finally:
        sys.settrace(None)
    return count


def test_loading_is_linear_in_the_number_of_feeds(tmp_path: Path) -> None:
    small, large = tmp_path / "small.toml", tmp_path / "large.toml"
    small.write_text(feeds_toml(500)[0])
    large.write_text(feeds_toml(4000)[0])
    # The quadratic version ran dozens of times as many lines for 8 times the feeds.
    assert lines_run(lambda: load_config(large)) < 9 * lines_run(lambda: load_config(small))


def test_adding_and_removing_in_a_large_file_is_linear(tmp_path: Path) -> None:
    def runs(count: int) -> tuple[int, int]:
        path = tmp_path / f"{count}.toml"
        path.write_text(feeds_toml(count)[0])
        added = lines_run(lambda: add_feed(path, FeedConfig(name="New", url="https://new.example/rss")))
        removed = lines_run(lambda: remove_feed(path, f"Feed {count // 2}"))
        return added, removed

    (added_small, removed_small), (added_large, removed_large) = runs(500), runs(4000)
    assert added_large < 9 * added_small
    assert removed_large < 9 * removed_small


def test_importing_many_outlines_is_linear(tmp_path: Path) -> None:
    def run(count: int, name: str) -> int:
        outlines = "".join(f'<outline text="Same name" xmlUrl="https://same.example/{n}"/>' for n in range(count))
        source = tmp_path / f"{count}.opml"
        source.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>')
        return lines_run(lambda: import_opml(source, tmp_path / name))

    small, large = run(300, "small.toml"), run(2400, "large.toml")
    # Every name alike: numbering them used to count up from 2 for each.
    assert large < 9 * small
    names = [f.name for f in load_config(tmp_path / "large.toml").feeds]
    assert names[:3] == ["Same name", "Same name (same.example)", "Same name (2)"] and names[-1] == "Same name (2399)"


def test_an_error_near_the_end_of_20000_feeds_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, line = feeds_toml(20_000, bad_at=19_998)
    config = tmp_path / "feeds.toml"
    config.write_text(text)
    status, _, err = run_cli(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "feeds")
    assert status == 2
    assert err == f"newsreader: {config}:{line}: country codes are two letters (ISO 3166-1), not 'Armenia'\n"
    assert text.split("\n")[line - 1] == 'countries = ["Armenia"]'


def test_a_large_file_gets_a_new_feed_appended_byte_for_byte(tmp_path: Path) -> None:
    text, _ = feeds_toml(3000)
    config = tmp_path / "feeds.toml"
    config.write_text(text)
    add_feed(config, FeedConfig(name="New", url="https://new.example/rss", tags=("a", 'b"c')))
    assert config.read_text() == text + '\n[[feeds]]\nname = "New"\nurl = "https://new.example/rss"\ntags = ["a", "b\\"c"]\n'
    remove_feed(config, "New")
    assert config.read_text() == text


# -- other hostile files ---------------------------------------------------------------------------------------

# (name, file text, expected line, words the message must contain)
HOSTILE = [
    ("NUL byte", '[[feeds]]\nurl = "http://a.test/\x00"\n', 2, "TOML syntax error: Illegal character '\\x00'"),
    ("CRLF", '[[feeds]]\r\nurl = "http://a.test/"\r\n\r\n[[feeds]]\r\nurl = "http://b.test/"\r\ncountries = ["Armenia"]\r\n', 6,
     "not 'Armenia'"),
    ("line breaks Python sees and TOML does not", '# a \u2028 b \x85 c \u2029\n[[feeds]]\nname = "x\u2028y"\n'
     'url = "http://a.test/"\ncountries = ["Armenia"]\n', 5, "not 'Armenia'"),
    ("a header inside a multi-line string", '[[feeds]]\nname = """\n[[feeds]]\nurl = 5\n"""\nurl = "http://a.test/"\n\n'
     "[[feeds]]\nurl = 'http://b.test/'\nname = '''\n[[feeds]]'''\ncountries = [\"Armenia\"]\n", 12, "not 'Armenia'"),
    ("a key inside a multi-line string", '[[feeds]]\nname = """x\\\n  countries = 5\n"""\nurl = "http://a.test/"\n'
     "countries = ['Armenia']\n", 6, "not 'Armenia'"),
    ("nested arrays over lines", '[[feeds]]\nurl = "http://a.test/"\ntags = [\n  ["x"],\n  "y",\n]\n', 3,
     "feed key 'tags' must be a list of strings"),
    ("feeds as an inline array", 'feeds = [\n  { url = "http://a.test/" },\n  { url = "http://b.test/", countries = ["Armenia"] },\n]\n',
     1, "not 'Armenia'"),
    ("a name of escape sequences only", '[[feeds]]\nurl = "http://a.test/"\nname = "\\u001b[31m\\u001b]0;title\\u0007"\n', 3,
     "has nothing printable in it"),
    ("two feeds named after one host", '[[feeds]]\nurl = "http://a.test/1"\n\n[[feeds]]\nurl = "http://a.test/2"\n', 4,
     "duplicate feed name 'a.test', taken from the url as the feed has no name (first on line 1); give it a name"),
    ("a table twice", "[settings]\nkeep_days = 1\n\n[settings]\n", 4, "Cannot declare ('settings',) twice"),
    ("a bell in a key", '"\\u0007bell" = 1\n', None, "unknown key '\\x07bell'"),
    ("a key that is 100,000 characters", f'{"k" * 100_000} = 1\n', 1, "unknown key 'kkkk"),
    ("a value of 10 MB", f'[[feeds]]\nurl = "http://a.test/{"a" * 10_000_000}\\u0000"\n', 2, "a control character in it"),
    ("a header of 200,000 spaces", "[" + " " * 200_000 + "\n", 1, "TOML syntax error"),
]


@pytest.mark.parametrize(("text", "line", "words"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_files_get_one_line_with_the_right_line(tmp_path: Path, text: str, line: int | None, words: str) -> None:
    config = tmp_path / "feeds.toml"
    config.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    message = str(caught.value)
    assert caught.value.line == line, message
    assert words in message, message
    assert "\n" not in message and len(message) < 400, message


def test_a_byte_order_mark_is_read_and_kept(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_bytes('\ufeff[[feeds]]\nname = "A"\nurl = "http://a.test/"\ncountries = ["am"]\n'.encode())
    assert [f.countries for f in load_config(config).feeds] == [("AM",)]
    add_feed(config, FeedConfig(name="B", url="http://b.test/"))
    assert config.read_bytes().startswith(b'\xef\xbb\xbf[[feeds]]\nname = "A"\n')
    assert [f.name for f in load_config(config).feeds] == ["A", "B"]
    config.write_bytes(b'\xef\xbb\xbf[[feeds]]\nurl = "http://a.test/"\ncountries = ["Armenia"]\n')
    with pytest.raises(ConfigError, match=r"feeds\.toml:3: country codes"):
        load_config(config)


def test_crlf_files_stay_crlf_when_a_feed_is_added(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_bytes(b'[[feeds]]\r\nname = "A"\r\nurl = "http://a.test/"\r\n')
    add_feed(config, FeedConfig(name="B", url="http://b.test/"))
    assert config.read_bytes() == b'[[feeds]]\r\nname = "A"\r\nurl = "http://a.test/"\r\n\r\n[[feeds]]\r\nname = "B"\r\nurl = "http://b.test/"\r\n'


def test_a_config_path_too_long_for_the_file_system_is_one_line(tmp_path, capsys) -> None:
    from newsreader.cli import main

    assert main(["--config", str(tmp_path / ("x" * 5000)), "--data-dir", str(tmp_path), "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err and "Traceback" not in err


def test_a_page_with_a_malformed_feed_link_still_offers_the_good_ones() -> None:
    from newsreader.feeds.discover import feed_links

    page = ('<link rel="alternate" type="application/rss+xml" href="http://[::1/x">'
            '<link rel="alternate" type="application/rss+xml" href="/good.xml">')
    assert feed_links(page, "https://news.example/") == [("https://news.example/good.xml", "")]
    assert feed_links('<base href="http://[::1/x">' + page, "https://news.example/")[0][0] == "https://news.example/good.xml"
