"""Encryption at rest: round trips, key rotation, and the embedded default's own key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.secrets import Cipher, EncryptionKeyError, SecretUnreadable, generate_key, load_cipher, parse_keys


def test_a_secret_round_trips_and_is_not_stored_in_plain_text() -> None:
    cipher = Cipher([generate_key()])
    token = cipher.encrypt("shpat_plain")
    assert "shpat_plain" not in token
    assert cipher.decrypt(token) == "shpat_plain"


def test_an_old_key_still_decrypts_after_a_new_one_is_put_first() -> None:
    old, new = generate_key(), generate_key()
    token = Cipher([old]).encrypt("cs_secret")
    rotated = Cipher([new, old]).rotate(token)
    assert Cipher([new]).decrypt(rotated) == "cs_secret"
    with pytest.raises(SecretUnreadable):
        Cipher([old]).decrypt(rotated)


def test_a_secret_from_an_unknown_key_says_which_setting_to_check() -> None:
    token = Cipher([generate_key()]).encrypt("x")
    with pytest.raises(SecretUnreadable, match="ASSAY_ENCRYPTION_KEYS"):
        Cipher([generate_key()]).decrypt(token)


def test_a_bad_key_is_named_by_position_never_by_value() -> None:
    with pytest.raises(EncryptionKeyError) as raised:
        Cipher([generate_key(), "not-a-real-key-value"])
    assert "key 2" in str(raised.value)
    assert "not-a-real-key-value" not in str(raised.value)


def test_no_key_at_all_is_refused() -> None:
    with pytest.raises(EncryptionKeyError, match="at least one"):
        Cipher([])


def test_the_setting_lists_keys_newest_first_separated_by_commas() -> None:
    assert parse_keys(" a, b ,,c ") == ["a", "b", "c"]


def test_the_setting_wins_over_the_instance_key(tmp_path: Path) -> None:
    key = generate_key()
    token = Cipher([key]).encrypt("x")
    assert load_cipher(f"{key},{generate_key()}", str(tmp_path)).decrypt(token) == "x"
    assert not (tmp_path / "encryption.key").exists()


def test_without_a_setting_a_key_is_made_once_in_the_instance_folder_readable_by_its_owner_only(
        tmp_path: Path) -> None:
    folder = tmp_path / "instance"
    token = load_cipher(None, str(folder)).encrypt("x")
    key_file = folder / "encryption.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_cipher("", str(folder)).decrypt(token) == "x"
    assert [p.name for p in folder.iterdir()] == ["encryption.key"]


def test_the_cipher_never_shows_its_keys() -> None:
    key = generate_key()
    assert key not in repr(Cipher([key]))


def test_with_neither_a_setting_nor_a_folder_the_missing_setting_is_named() -> None:
    with pytest.raises(EncryptionKeyError, match="ASSAY_ENCRYPTION_KEYS is not set"):
        load_cipher(None, None)
