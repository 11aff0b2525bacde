"""The local secrets of a development install, generated once into ``var/``.

Production reads the same names from the environment (or ``NAME_FILE``).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

NAMES = ("SECRET_KEY", "GARDIEN_FIELD_KEYS", "GARDIEN_BLIND_INDEX_KEY", "GARDIEN_AUDIT_KEYS")


def generate() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        # A Fernet key: 32 random bytes, url-safe base64.
        "GARDIEN_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"),
        "GARDIEN_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        # The audit log's HMAC key: kept apart from the database it authenticates.
        "GARDIEN_AUDIT_KEYS": secrets.token_urlsafe(32),
    }


def read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise RuntimeError(
            f"{path} cannot be read ({exc}); move it aside and run `gardien secrets init` again "
            "(data encrypted with the old keys will then be unreadable)."
        ) from None
    return {k: str(v) for k, v in data.items() if k in NAMES}


def ensure(path: Path) -> bool:
    """Create the secrets file if missing (mode 600). True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(generate(), handle, indent=2)
        handle.write("\n")
    return True


def complete(path: Path) -> list[str]:
    """Add to an existing secrets file the keys a newer Gardien needs; return their names.

    Keys already in the file are never replaced: losing them makes data unreadable.
    """
    current = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in NAMES if not current.get(name)]
    if not missing:
        return []
    fresh = generate()
    current.update({name: fresh[name] for name in missing})
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(current, handle, indent=2)
        handle.write("\n")
    partial.replace(path)
    return missing
