"""The tests' PDF text reader takes a stream by its length: compressed data may end with a
carriage return (about one PDF in 256), which must not be taken for the line end."""

from __future__ import annotations

import zlib

from tests.policy.pdftext import _objects


def test_a_stream_ending_with_a_carriage_return_is_read_whole() -> None:
    n = 0
    while True:
        text = f"BT (line {n}) Tj ET".encode()
        packed = zlib.compress(text)
        if packed.endswith(b"\r"):
            break
        n += 1
    head = b"1 0 obj\n<</Filter /FlateDecode/Length " + str(len(packed)).encode() + b">>\n"
    pdf = b"%PDF-1.7\n" + head + b"stream\n" + packed + b"\nendstream\nendobj\n"
    assert _objects(pdf)[1][1] == text
