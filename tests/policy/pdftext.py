"""The text of a PDF Gardien made, for tests: no PDF reader is among the test dependencies.

WeasyPrint writes each font as a Type 0 font with a ToUnicode map, and each line of text
as hexadecimal glyph codes (``[<0024>0<0047>] TJ``); reading the maps and the content
streams gives back the text, line by line. Enough for Gardien's own PDFs, not a PDF reader.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM = re.compile(rb"^(.*?)stream\r?\n(.*?)\r?\nendstream", re.S)


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    found: dict[int, tuple[bytes, bytes | None]] = {}
    for match in _OBJECT.finditer(data):
        body = match.group(2)
        stream = _STREAM.match(body)
        if stream is None:
            found[int(match.group(1))] = (body, None)
            continue
        head, raw = stream.group(1), stream.group(2)
        # The stream's own length, when written directly: compressed data may end with a
        # carriage return, which the pattern's optional "\r" before "endstream" would eat.
        length = re.search(rb"/Length (\d+)(?!\s+\d+\s+R)", head)
        if length is not None:
            start = stream.start(2)
            raw = body[start : start + int(length.group(1))]
        if b"/FlateDecode" in head:
            raw = zlib.decompress(raw)
        found[int(match.group(1))] = (head, raw)
        if b"/Type /ObjStm" in head:  # small objects packed in one compressed stream
            first = int(re.search(rb"/First (\d+)", head).group(1))  # type: ignore[union-attr]
            numbers = [int(n) for n in raw[:first].split()]
            pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
            for k, (number, offset) in enumerate(pairs):
                end = pairs[k + 1][1] if k + 1 < len(pairs) else len(raw) - first
                found[number] = (raw[first + offset : first + end], None)
    return found


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def pdf_lines(data: bytes) -> list[str]:
    """Each run of text drawn by the PDF, in drawing order."""
    assert data.startswith(b"%PDF-"), data[:20]
    objects = _objects(data)
    fonts: dict[bytes, dict[int, str]] = {}
    for head, _raw in objects.values():
        # A font resource dictionary: /Name n 0 R for each font of a page.
        for name, ref in re.findall(rb"/([A-Za-z0-9+_-]+) (\d+) 0 R", head):
            font = objects.get(int(ref))
            if font is None or b"/ToUnicode" not in font[0]:
                continue
            unicode_ref = re.search(rb"/ToUnicode (\d+) 0 R", font[0])
            if unicode_ref is not None:
                stream = objects[int(unicode_ref.group(1))][1] or b""
                fonts[name] = _cmap(stream)
    lines: list[str] = []
    for _head, raw in objects.values():
        if raw is None or b" Tf" not in raw:
            continue
        font: dict[int, str] = {}
        for token in re.finditer(
            rb"/([A-Za-z0-9+_-]+) [\d.]+ Tf|\[(.*?)\] TJ|<([0-9a-fA-F]*)> Tj", raw, re.S
        ):
            if token.group(1) is not None:
                font = fonts.get(token.group(1), {})
                continue
            hexes = re.findall(rb"<([0-9a-fA-F]*)>", token.group(2) or b"<" + token.group(3) + b">")
            text = ""
            for chunk in hexes:
                for i in range(0, len(chunk), 4):
                    text += font.get(int(chunk[i : i + 4], 16), "")
            lines.append(text)
    return lines


def pdf_text(data: bytes) -> str:
    """The PDF's text in one line, whitespace collapsed (a cell's wrapped lines rejoined)."""
    return " ".join(" ".join(pdf_lines(data)).split())
