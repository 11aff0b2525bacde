"""The archive's chunks: numbered, marked last, and bound to their archive."""

from __future__ import annotations

import io
import struct

import pytest
from django.utils import translation

from gardien.backup import archive


def written(data: bytes) -> bytes:
    out = io.BytesIO()
    writer = archive.EncryptingWriter(out)
    writer.write(data)
    writer.close()
    return out.getvalue()


def chunks(blob: bytes) -> list[bytes]:
    """The length-prefixed tokens after the magic line."""
    found, at = [], len(archive.MAGIC)
    while at < len(blob):
        (length,) = struct.unpack(">I", blob[at : at + 4])
        found.append(blob[at : at + 4 + length])
        at += 4 + length
    return found


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "CHUNK", 16)


def read(blob: bytes) -> bytes:
    out = io.BytesIO()
    with translation.override("en"):
        archive.decrypt_to(io.BytesIO(blob), out)
    return out.getvalue()


def test_a_whole_archive_reads_back() -> None:
    data = bytes(range(50))
    assert read(written(data)) == data


def test_a_chunk_of_another_backup_under_the_same_keys_is_refused() -> None:
    one, other = chunks(written(b"a" * 50)), chunks(written(b"b" * 50))
    spliced = archive.MAGIC + one[0] + other[1] + b"".join(one[2:])
    with pytest.raises(archive.ArchiveError, match="another backup"):
        read(spliced)


def test_chunks_moved_or_cut_are_refused() -> None:
    parts = chunks(written(b"c" * 50))
    with pytest.raises(archive.ArchiveError, match="parts moved"):
        read(archive.MAGIC + parts[1] + parts[0] + b"".join(parts[2:]))
    with pytest.raises(archive.ArchiveError, match="cut short"):
        read(archive.MAGIC + b"".join(parts[:-1]))
