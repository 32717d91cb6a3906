"""Content-Encoding decoded in bounded steps (net/decoding.py), and a real `newsreader fetch` of a brotli bomb
that stays small: issue 11, row 1 (1,666 bytes that inflate to 1 GiB took 2.1 GB of RSS before).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zlib
from pathlib import Path

import brotli
import pytest

from newsreader.net.decoding import ACCEPT_ENCODING, STEP, DecodingFailed, decoder_for

from feedserver import compression_bomb, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"
WORLD = (FEEDS / "world.rss").read_bytes()
BIG = os.urandom(300 * 1024).hex().encode() + WORLD  # 600 KiB that compress to about half


def encode(data: bytes, encoding: str) -> bytes:
    return {"gzip": lambda: gzip.compress(data), "deflate": lambda: zlib.compress(data),
            "raw-deflate": lambda: zlib.compress(data, wbits=-15), "br": lambda: brotli.compress(data)}[encoding]()


def decode(body: bytes, content_encoding: str | None, *, chunk: int = 16 * 1024) -> list[bytes]:
    decoder = decoder_for(content_encoding)
    pieces = []
    for start in range(0, len(body), chunk):
        pieces += decoder.decode(body[start:start + chunk])
    pieces += decoder.flush()
    return pieces


@pytest.mark.parametrize(("encoding", "header"), [("gzip", "gzip"), ("gzip", "x-gzip"), ("deflate", "deflate"),
                                                  ("raw-deflate", "deflate"), ("br", "br"), ("br", "BR")])
@pytest.mark.parametrize("chunk", [1, 1000, 1 << 20])
def test_each_encoding_decodes_whole_in_steps_no_larger_than_step(encoding, header, chunk):
    body = encode(BIG, encoding)
    if chunk == 1:
        body, expected = encode(WORLD, encoding), WORLD  # byte by byte: a small body keeps it quick
    else:
        expected = BIG
    pieces = decode(body, header, chunk=chunk)
    assert b"".join(pieces) == expected
    assert max(map(len, pieces)) <= (2 * STEP if encoding == "br" else STEP)


def test_two_encodings_are_undone_in_reverse_order():
    body = brotli.compress(gzip.compress(BIG))
    assert b"".join(decode(body, "gzip, br")) == BIG


def test_identity_and_unknown_tokens_pass_the_body_as_it_came():
    for header in (None, "", "identity", "UTF-8"):
        assert b"".join(decode(WORLD, header)) == WORLD


@pytest.mark.parametrize(("header", "body", "message"), [
    ("gzip", WORLD, "the gzip body could not be decompressed (Error -3 while decompressing data: incorrect header check)"),
    ("deflate", b"\x78\x9c" + b"\xff" * 64, "the deflate body could not be decompressed (Error -3 while decompressing data: invalid"),
    ("deflate", b"\xff" * 64, "the deflate body could not be decompressed (Error -3 while decompressing data: invalid block type)"),
    ("br", WORLD, "the br body could not be decompressed"),
    ("zstd", WORLD, "the server sent the body as zstd, which we did not ask for and cannot read"),
    ("compress", WORLD, "the server sent the body as compress, which we did not ask for and cannot read"),
])
def test_a_body_that_cannot_be_decoded_says_so(header, body, message):
    with pytest.raises(DecodingFailed) as caught:
        decode(body, header)
    assert str(caught.value).startswith(message)


def test_we_ask_only_for_what_we_decode():
    assert ACCEPT_ENCODING == "gzip, deflate, br"
    for token in ACCEPT_ENCODING.split(", "):
        assert type(decoder_for(token)).__name__ != "Decoder"  # not the identity


@pytest.mark.parametrize("encoding", ["br", "gzip", "deflate"])
def test_a_bomb_comes_out_a_step_at_a_time(encoding):
    """Fed whole, a bomb still comes out in steps: 16 MiB of output means 16 MiB and a step, not 1 GiB."""
    body = compression_bomb(64 << 20, encoding)  # br: always 1 GiB
    decoder = decoder_for(encoding)
    made = 0
    for piece in decoder.decode(body):
        assert len(piece) <= 2 * STEP
        made += len(piece)
        if made >= 16 << 20:
            break
    assert made < (16 << 20) + 2 * STEP


# -- a real fetch, measured ----------------------------------------------------------------------------------


#: Runs `python -m newsreader ARGS` as a child of this small process and writes its peak RSS (KiB) to a file.
#: Not ru_maxrss of a child of pytest: a process started by fork or vfork counts its parent's resident pages
#: until it execs, so a child of the (large) test process would report the test process's size.
PEAK_RSS = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "newsreader", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def fetch_peak_rss(tmp_path: Path, feeds: list[tuple[str, str]]) -> tuple[subprocess.CompletedProcess, float]:
    """Run a real `newsreader fetch` of `feeds`; its result and its peak RSS in MB."""
    config = write_feeds_toml(tmp_path / "feeds.toml", feeds, settings={"timeout": 60})
    peak = tmp_path / "peak-kib"
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, str(peak), "--config", str(config), "--data-dir", str(tmp_path / "data"),
                           "fetch"], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=300)
    return done, int(peak.read_text()) / 1024


def test_a_brotli_bomb_fails_alone_and_the_fetch_stays_small(tmp_path, feed_server):
    """1,666 bytes that inflate to 1 GiB, sent by a real server: the feed fails "too large" (the default cap,
    16 MiB), the other feed is stored, and the whole fetch peaks far below the 2.1 GB it took before."""
    feeds = [("Bomb", feed_server.bomb("/bomb.rss", 1 << 30, "br")), ("World", feed_server.feed("/world.rss", WORLD))]
    done, peak_mb = fetch_peak_rss(tmp_path, feeds)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 feeds: 1 updated, 0 not modified, 1 failed" in done.stdout
    assert "  Bomb: response too large (over 16384 KiB); cut off" in done.stdout.splitlines()
    assert done.stderr == ""
    assert len(feed_server.requests_for("/bomb.rss")) == 1
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB"
    print(f"peak RSS of the fetch: {peak_mb:.0f} MB")
