"""SECRET_KEY, Assay's root secret: checked, made once in the instance folder by the embedded default, and used only
through one HKDF key per purpose; SECRET_KEY_PREVIOUS keeps older keys accepted in a rotation (docs/decisions/0003)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from enum import StrEnum

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from storage.secrets import kept_in_instance
from storage.settings import Settings

SECRET_SETTING = "SECRET_KEY"
PREVIOUS_SETTING = "SECRET_KEY_PREVIOUS"
SECRET_FILE_NAME = "secret.key"
EXTENSION = "assay.secret_keys"
MIN_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
# The default Assay once shipped: public, so whatever it keyed is guessable. Refused in production; still tried
# (with the raw secrets) to find pseudonyms kept before keys were derived per purpose.
PUBLISHED_DEFAULT = "dev-only-not-secret"


class Purpose(StrEnum):
    """One HKDF `info` label per use of the secret."""

    WOOCOMMERCE_INSTALL = "assay/woocommerce-install/v1"  # install tickets and the plugin's connect codes
    FORM_ANSWER = "assay/form-answer/v1"  # the storefront's answer tokens
    PSEUDONYM = "assay/pseudonym/v1"  # customers' contact data in the inbox
    SESSION = "assay/flask-session/v1"  # Flask's signed session cookie


class SecretKeyError(ValueError):
    """SECRET_KEY (or a previous one) is unusable; the message names the setting, never the value."""


def secret_problem(value: str) -> str | None:
    """Why `value` can't be a production secret, or None."""
    if value == PUBLISHED_DEFAULT:
        return "is the published development default"
    if len(value) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters, got {len(value)}"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"must be random, got only {len(set(value))} distinct characters"
    return None


def parse_previous(setting: str | None) -> list[str]:
    """SECRET_KEY_PREVIOUS: 'newer,older' as a list; blanks around the commas are ignored."""
    return [key.strip() for key in (setting or "").split(",") if key.strip()]


def derive(secret: str, purpose: Purpose) -> str:
    """The purpose's 256-bit key from the secret, hex-encoded (so it goes wherever a text key went)."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose.value.encode())
    return hkdf.derive(secret.encode()).hex()


class SecretKeys:
    """Every purpose's key under SECRET_KEY (which makes new tokens) and under each previous secret (which
    still verify); derived once, at start."""

    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        if not secret:
            raise SecretKeyError(f"{SECRET_SETTING} must not be empty")
        self._keys = {purpose: tuple(derive(root, purpose) for root in (secret, *previous)) for purpose in Purpose}
        self._raw = tuple(dict.fromkeys((secret, *previous, PUBLISHED_DEFAULT)))

    def __repr__(self) -> str:
        return "<SecretKeys keys=hidden>"

    def key(self, purpose: Purpose) -> str:
        """The key that makes new tokens for `purpose`."""
        return self._keys[purpose][0]

    def previous(self, purpose: Purpose) -> tuple[str, ...]:
        """The previous secrets' keys for `purpose`, newest first: accepted, never used to make anything."""
        return self._keys[purpose][1:]

    def older_pseudonym_keys(self) -> tuple[str, ...]:
        """Every key a pseudonym still in the database may have been made with, but the current one: the previous
        secrets', and the raw secrets Assay keyed pseudonyms with before it derived a key per purpose."""
        return self.previous(Purpose.PSEUDONYM) + self._raw


def load_secret_keys(secret: str | None, previous: str | None, instance_folder: str | None) -> SecretKeys:
    """The keys from SECRET_KEY if set, else from a secret made once in the instance folder (the embedded
    default); SECRET_KEY_PREVIOUS's either way."""
    if secret:
        return SecretKeys(secret, parse_previous(previous))
    if instance_folder is None:
        raise SecretKeyError(f"{SECRET_SETTING} is not set and there is no instance folder to keep one in")
    made = kept_in_instance(instance_folder, SECRET_FILE_NAME, lambda: secrets.token_urlsafe(48))
    return SecretKeys(made, parse_previous(previous))


def init_app(app: Flask, settings: Settings, instance_folder: str | None) -> SecretKeys:
    """Put the keys on the app, and give Flask its session key (never the root secret, so no code can use it
    undivided)."""
    keys = load_secret_keys(settings.secret_key, settings.secret_key_previous, instance_folder)
    app.extensions[EXTENSION] = keys
    app.config[SECRET_SETTING] = keys.key(Purpose.SESSION)
    app.config["SECRET_KEY_FALLBACKS"] = list(keys.previous(Purpose.SESSION))
    return keys


def secret_keys_of(app: Flask) -> SecretKeys:
    keys: SecretKeys = app.extensions[EXTENSION]
    return keys
