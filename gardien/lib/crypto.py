"""Field encryption and keyed blind indexes, with keys independent of SECRET_KEY.

Keys are lists, newest first: values are always written under the newest key and
read under any of them, so a key can be rotated in (``gardien keys rotate``) and
the old one removed afterwards. A value that no configured key can read is a
loud error, never a silent return of ciphertext.

``signing_keys`` alone derives from SECRET_KEY: it signs what Gardien hands out and
checks later (consent ids), which no personal data depends on.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.utils.translation import gettext as _


class CryptoConfigError(Exception):
    """The keys in the settings are missing or malformed."""


class DecryptionError(Exception):
    """A stored value cannot be read with any configured key."""


def _settings_keys(name: str) -> tuple[str, ...]:
    from django.conf import settings

    raw = getattr(settings, name, None) or []
    keys = tuple(k.strip() for k in (raw.split(",") if isinstance(raw, str) else raw) if k.strip())
    if not keys:
        raise CryptoConfigError(
            _(
                "%(name)s is empty: Gardien cannot store personal data without it. Run "
                "`gardien secrets init` (development) or set it from `gardien secrets generate`."
            )
            % {"name": name}
        )
    return keys


@cache
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise CryptoConfigError(
                _(
                    "GARDIEN_FIELD_KEYS: key #%(position)d is not a valid key (32 bytes, url-safe "
                    "base64); generate one with `gardien secrets generate`."
                )
                % {"position": position}
            ) from None
    return MultiFernet(fernets)


def field_keys() -> tuple[str, ...]:
    return _settings_keys("GARDIEN_FIELD_KEYS")


def encrypt(plaintext: str) -> str:
    return _multifernet(field_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _multifernet(field_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError, UnicodeDecodeError):
        raise DecryptionError(
            _(
                "a stored personal value cannot be decrypted with the configured keys; check "
                "GARDIEN_FIELD_KEYS (was a key removed before `gardien keys rotate` finished?)"
            )
        ) from None


def is_under_newest_key(token: str) -> bool:
    """True when ``token`` was written with the newest key (rotation can skip it)."""
    newest = _multifernet((field_keys()[0],))
    try:
        newest.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def encrypt_bytes(data: bytes) -> bytes:
    return _multifernet(field_keys()).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _multifernet(field_keys()).decrypt(token)
    except InvalidToken:
        raise DecryptionError(
            _("a stored file cannot be decrypted with the configured keys")
        ) from None


def index_keys() -> tuple[str, ...]:
    return _settings_keys("GARDIEN_BLIND_INDEX_KEYS")


def key_id(key: str) -> str:
    """A short public name for a key (never the key itself)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def blind_index(value: str, key: str | None = None) -> str:
    """HMAC-SHA256 of a normalised value under the newest (or given) index key."""
    key = key or index_keys()[0]
    digest = hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{key_id(key)}:{digest}"


def blind_indexes(value: str) -> list[str]:
    """The index of ``value`` under every configured key: lookups still work mid-rotation."""
    return [blind_index(value, key) for key in index_keys()]


def index_is_current(index: str) -> bool:
    return index.startswith(key_id(index_keys()[0]) + ":")


def normalise_email(email: str) -> str:
    """The form under which an email is indexed: trimmed, Unicode-normalised, lower-case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def signing_keys(purpose: str) -> tuple[bytes, ...]:
    """Keys for one ``purpose`` only, derived from SECRET_KEY then each of
    SECRET_KEY_FALLBACKS: sign under the first, accept under any, so that changing
    SECRET_KEY (the old value kept in the fallbacks) invalidates nothing already signed.

    Derived (HMAC-SHA256 of a label naming the purpose), so that no two uses of the
    secret, Gardien's or Django's, ever share a key.
    """
    from django.conf import settings

    return _derived(purpose, (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=16)
def _derived(purpose: str, secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    label = f"gardien.signing.{purpose}".encode()
    return tuple(hmac.digest(secret.encode("utf-8"), label, "sha256") for secret in secrets)


def backup_code_digests(code: str) -> tuple[str, ...]:
    """A staff backup code's keyed hash under each signing key, newest first.

    Keyed (derived from SECRET_KEY, as ``signing_keys`` are) rather than salted: a backup
    code has about 40 bits of chance, which a dump's reader could try in full against a
    plain or salted hash, but not without the key kept outside the database. A code hashed
    under a key now among SECRET_KEY_FALLBACKS still matches.
    """
    value = code.encode("utf-8")
    return tuple(hmac.new(key, value, "sha256").hexdigest() for key in signing_keys("otp.backup"))
