"""The archive's encryption: a stream of Fernet tokens under the field keys.

Each token holds the archive's random id, a numbered chunk and whether it is the last, so a
chunk removed, reordered, cut off at the end or taken from another backup made under the same
keys is detected, not restored. The field keys are kept apart from
the database already, and a restore needs them anyway to read the personal data it holds:
without them the archive is useless, and there is no further key to lose.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from django.utils.translation import gettext as _

from gardien.lib import crypto

MAGIC = b"GARDIEN-BACKUP 2\n"
MAGIC_V1 = b"GARDIEN-BACKUP 1\n"  # still read: chunks without the archive's id
CHUNK = 1024 * 1024
_HEADER = struct.Struct(">?Q16s")  # last chunk, chunk number, the archive's id
_HEADER_V1 = struct.Struct(">?Q")
_LENGTH = struct.Struct(">I")


class ArchiveError(ValueError):
    """The archive cannot be read; the message says why."""


class EncryptingWriter:
    """A file-like object for :mod:`tarfile`: what is written goes out encrypted."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = bytearray()
        self.number = 0
        self.written = 0
        self.archive_id = os.urandom(16)
        out.write(MAGIC)

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._emit(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        """Write the last chunk (possibly empty): without it the archive reads as cut off."""
        self._emit(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _emit(self, data: bytes, *, last: bool) -> None:
        token = crypto.encrypt_bytes(_HEADER.pack(last, self.number, self.archive_id) + data)
        self.out.write(_LENGTH.pack(len(token)) + token)
        self.number += 1
        self.written += len(data)


def decrypt_to(source: BinaryIO, target: BinaryIO) -> int:
    """Decrypt a whole archive into ``target``; returns the bytes written. Raises
    :class:`ArchiveError` when it is not an archive, the key is wrong or it was changed."""
    magic = source.read(len(MAGIC))
    if magic not in (MAGIC, MAGIC_V1):
        raise ArchiveError(_("the file is not a Gardien backup"))
    header = _HEADER if magic == MAGIC else _HEADER_V1
    archive_id = None
    number = 0
    total = 0
    while True:
        length = source.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise ArchiveError(_("it is cut short: its end is missing"))
        token = source.read(_LENGTH.unpack(length)[0])
        try:
            plain = crypto.decrypt_bytes(token)
        except crypto.DecryptionError:
            if number == 0:
                raise ArchiveError(
                    _(
                        "it was encrypted under other keys than the configured "
                        "GARDIEN_FIELD_KEYS (restore it with the keys it was made under)"
                    )
                ) from None
            raise ArchiveError(_("it was changed after it was written")) from None
        last, seen, *ids = header.unpack_from(plain)
        if ids:
            archive_id = ids[0] if archive_id is None else archive_id
            if ids[0] != archive_id:
                raise ArchiveError(
                    _("it was changed after it was written (parts of another backup)")
                )
        if seen != number:
            raise ArchiveError(_("it was changed after it was written (parts moved)"))
        target.write(plain[header.size :])
        total += len(plain) - header.size
        number += 1
        if last:
            if source.read(1):
                raise ArchiveError(_("it was changed after it was written (data added)"))
            return total
