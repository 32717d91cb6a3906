"""Content-Encoding undone here, in steps of at most STEP bytes of output, so the size cap sees every byte as it
is made: a few KiB that inflate to a GiB stop at the cap, whatever the encoding (gzip, deflate or brotli).

httpx's own decoders inflate a whole network chunk at once (brotli without any bound), which is why the client
reads the raw body and decodes it with these. We ask only for what we decode (ACCEPT_ENCODING); zstd is not
among them (httpx asks for it only when the `zstandard` package is installed, which we do not depend on).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

#: What we ask servers for: exactly the encodings decoded here.
ACCEPT_ENCODING = "gzip, deflate, br"
#: The output one step may make, and so about how far past the size cap a body can grow before it is cut off.
#: gzip and deflate keep to it exactly; brotli's output buffer grows in blocks, so a step of its ends under 2 × STEP.
STEP = 64 * 1024
#: Encodings that compress but that we never ask for: a body in one of them cannot be read.
_UNSUPPORTED = frozenset({"zstd", "compress", "x-compress", "exi", "pack200-gzip", "aes128gcm", "dcb", "dcz"})


class DecodingFailed(Exception):
    """The body is not in the encoding the server named, or in one we cannot decode. `str()` is one line."""


class Decoder:
    """Identity: the body as it came."""

    def decode(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _ZlibDecoder(Decoder):
    def __init__(self, wbits: int | None, name: str) -> None:
        """`wbits` None: "deflate", which is meant to be zlib-wrapped but which some servers send raw (httpx
        reads both): the first two bytes say which."""
        self._name = name
        self._inflate = zlib.decompressobj(wbits) if wbits is not None else None
        self._head = b""

    def decode(self, data: bytes) -> Iterator[bytes]:
        inflate = self._inflate
        if inflate is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._inflate = inflate = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(data) else -zlib.MAX_WBITS)
        while data and not inflate.eof:  # bytes after the end of the stream are ignored, as httpx does
            try:
                out = inflate.decompress(data, STEP)
            except zlib.error as error:
                raise DecodingFailed(f"the {self._name} body could not be decompressed ({error})") from None
            data = inflate.unconsumed_tail
            if out:
                yield out

    def flush(self) -> Iterator[bytes]:
        if self._inflate is None:  # a body of one byte (or none)
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from self.decode(self._head)
        try:
            out = self._inflate.flush()
        except zlib.error as error:
            raise DecodingFailed(f"the {self._name} body could not be decompressed ({error})") from None
        if out:
            yield out


def _zlib_header(data: bytes) -> bool:
    """RFC 1950: method 8 (deflate) in the low nibble, and the two bytes a multiple of 31."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class _BrotliDecoder(Decoder):
    def __init__(self) -> None:
        import brotli  # ≥ 1.2 (pyproject.toml): `output_buffer_limit` and `can_accept_more_data`

        self._error = brotli.error
        self._brotli = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        brotli = self._brotli
        try:
            out = brotli.process(data, output_buffer_limit=STEP)
            if out:
                yield out
            # Output still held back: drain it a step at a time before taking more input.
            while not brotli.can_accept_more_data():
                out = brotli.process(b"", output_buffer_limit=STEP)
                if not out:
                    raise DecodingFailed("the br body could not be decompressed (no progress)")
                yield out
        except self._error as error:
            raise DecodingFailed(f"the br body could not be decompressed ({error})") from None

    def flush(self) -> Iterator[bytes]:
        # Input taken in is not yet all output: ask for the rest, a step at a time, until the stream ends.
        brotli = self._brotli
        try:
            while not brotli.is_finished():
                out = brotli.process(b"", output_buffer_limit=STEP)
                if not out:
                    return  # a stream cut short: what came is kept, as httpx does
                yield out
        except self._error as error:
            raise DecodingFailed(f"the br body could not be decompressed ({error})") from None


class _Chain(Decoder):
    """`Content-Encoding: gzip, br` was gzipped first: undo br, then gzip."""

    def __init__(self, outer: Decoder, inner: Decoder) -> None:
        self._outer = outer
        self._inner = inner

    def decode(self, data: bytes) -> Iterator[bytes]:
        for piece in self._outer.decode(data):
            yield from self._inner.decode(piece)

    def flush(self) -> Iterator[bytes]:
        for piece in self._outer.flush():
            yield from self._inner.decode(piece)
        yield from self._inner.flush()


def decoder_for(content_encoding: str | None) -> Decoder:
    """The decoder for a Content-Encoding header's value. Raises DecodingFailed for an encoding we cannot
    decode; a token we do not know at all is taken as no encoding (httpx's rule: some servers write nonsense
    such as "UTF-8" there and send the body as it is)."""
    decoder: Decoder | None = None
    for token in (content_encoding or "").lower().split(","):
        token = token.strip()
        if token in ("gzip", "x-gzip"):
            step: Decoder = _ZlibDecoder(zlib.MAX_WBITS | 16, "gzip")
        elif token == "deflate":
            step = _ZlibDecoder(None, "deflate")
        elif token == "br":
            step = _BrotliDecoder()
        elif token in _UNSUPPORTED:
            raise DecodingFailed(f"the server sent the body as {token}, which we did not ask for and cannot read")
        else:
            continue
        decoder = step if decoder is None else _Chain(step, decoder)
    return decoder or Decoder()
