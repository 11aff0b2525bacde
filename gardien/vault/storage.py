"""File storage that keeps uploaded personal files (identity documents) encrypted at rest.

Files are written as Fernet tokens under random names; reading decrypts them. Key
rotation re-encrypts them with the rest of the vault.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from gardien.lib import crypto

MAX_BYTES = 10 * 1024 * 1024


class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.GARDIEN_PRIVATE_FILES_DIR)

    @property
    def location(self) -> str:  # type: ignore[override]
        import os

        return os.path.abspath(self.base_location)

    def deconstruct(self) -> Any:
        return ("gardien.vault.storage.EncryptedFileSystemStorage", (), {})

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # The uploader's file name may itself be personal ("passport-jane-doe.pdf"): keep
        # only the folder and the extension, under a random name.
        path = PurePosixPath(name)
        suffix = path.suffix.lower()[:10]
        return super().get_available_name(
            str(path.parent / f"{uuid.uuid4().hex}{suffix}"), max_length
        )

    def _save(self, name: str, content: File) -> str:  # type: ignore[override]
        data = content.read()
        if len(data) > MAX_BYTES:
            raise ValueError("the file is larger than 10 MiB")
        return super()._save(name, ContentFile(crypto.encrypt_bytes(data)))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        with super()._open(name, "rb") as handle:  # type: ignore[misc]
            token = handle.read()
        return ContentFile(crypto.decrypt_bytes(token), name=name)

    def url(self, name: str | None) -> str:
        raise ValueError("encrypted files have no public address; serve them through a view")

    def rotate(self, name: str) -> None:
        """Re-encrypt one stored file under the newest key, in place."""
        path = self.path(name)
        with open(path, "rb") as handle:
            plain = crypto.decrypt_bytes(handle.read())
        tmp = f"{path}.rotating"
        with open(tmp, "wb") as handle:
            handle.write(crypto.encrypt_bytes(plain))
        import os

        os.replace(tmp, path)


encrypted_storage = EncryptedFileSystemStorage()
