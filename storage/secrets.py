"""Encryption at rest for store credentials: Fernet tokens, with MultiFernet so keys can be rotated."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.settings import KEYS_SETTING

KEY_FILE_NAME = "encryption.key"


class EncryptionKeyError(ValueError):
    """The configured keys are unusable; the message never contains a key."""


class SecretUnreadable(RuntimeError):
    """A stored secret was encrypted with a key that is no longer configured."""


class Cipher:
    """Encrypts with the newest key and decrypts with any configured key, so old keys can be retired gradually."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise EncryptionKeyError(f"{KEYS_SETTING} must hold at least one Fernet key")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # Naming the position, not the value: a broken key is still a secret.
                raise EncryptionKeyError(
                    f"{KEYS_SETTING} key {position} must be a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "<Cipher keys=hidden>"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise SecretUnreadable(f"a stored secret opens with none of the keys in {KEYS_SETTING}") from None

    def rotate(self, token: str) -> str:
        """The same secret re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable(f"a stored secret opens with none of the keys in {KEYS_SETTING}") from None


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(setting: str) -> list[str]:
    """'newest,older,oldest' as a list; blanks around the commas are ignored."""
    return [key.strip() for key in setting.split(",") if key.strip()]


def instance_key(folder: str) -> str:
    """The embedded default's key: made once in the instance folder, readable by its owner only."""
    return kept_in_instance(folder, KEY_FILE_NAME, generate_key)


def kept_in_instance(folder: str, name: str, make: Callable[[], str]) -> str:
    """The secret in the instance folder's file `name`, made with `make` on first use (owner-only)."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        draft = f"{path}.{os.getpid()}.tmp"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(make() + "\n")
        try:
            # link() fails if the file exists, so two processes starting at once agree on the first secret
            # written, and no reader ever sees a half-written file.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path, encoding="ascii") as file:
        return file.read().strip()


def load_cipher(setting: str | None, instance_folder: str | None) -> Cipher:
    """The cipher for `ASSAY_ENCRYPTION_KEYS` if set (newest key first), else the instance folder's own key."""
    if setting and setting.strip():
        return Cipher(parse_keys(setting))
    if instance_folder is None:
        raise EncryptionKeyError(f"{KEYS_SETTING} is not set and there is no instance folder to keep a key in")
    return Cipher([instance_key(instance_folder)])
