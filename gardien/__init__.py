"""Gardien keeps the promises of a small organisation's privacy policy."""

__version__ = "0.1.0"
