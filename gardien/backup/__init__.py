"""Encrypted backups, and restores that keep every erasure made since (docs/backup.md)."""
