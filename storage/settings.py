"""The names of the settings storage reads: a leaf module, so db and secrets both use them without importing
each other (and without pulling SQLAlchemy or cryptography in)."""

from __future__ import annotations

KEYS_SETTING = "ASSAY_ENCRYPTION_KEYS"  # comma-separated Fernet keys, newest first
