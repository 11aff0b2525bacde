"""The manifest: the organisation's privacy policy as data (no database here)."""

from gardien.manifest.loader import ManifestError, content_hash, load_path, load_text, validate_data
from gardien.manifest.schema import Manifest

__all__ = ["Manifest", "ManifestError", "content_hash", "load_path", "load_text", "validate_data"]
