"""SECRET_KEY is never used undivided: each purpose derives its own key, and a token of one never verifies another."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connector.personal import pseudonym
from connector.woocommerce.install import InstallRefused, InstallTicket, parse_user_id, user_id_for
from storage.secret_key import PUBLISHED_DEFAULT, Purpose, SecretKeys, secret_problem

SECRET = "k3Vq9x-2LmA7pR4tZs8YbN1cW6eH0uJd"
OLDER = "Qw8rT2yU6iO0pA4sD9fG3hJ7kL1zX5cV"
TICKET = InstallTicket("https://shop.example", "n" * 43, 1_900_000_000)


def test_each_purpose_gets_its_own_key_and_none_is_the_secret() -> None:
    keys = SecretKeys(SECRET)
    made = [keys.key(purpose) for purpose in Purpose]
    assert len(set(made)) == len(Purpose)
    assert SECRET not in made and all(len(key) == 64 for key in made)
    assert SecretKeys(SECRET).key(Purpose.PSEUDONYM) == keys.key(Purpose.PSEUDONYM), "derived, not random"


def test_a_ticket_sealed_under_another_purposes_key_or_the_undivided_secret_is_a_forgery() -> None:
    keys = SecretKeys(SECRET)
    install = keys.key(Purpose.WOOCOMMERCE_INSTALL)
    assert parse_user_id(user_id_for(TICKET, install), install) == TICKET
    for other in (keys.key(Purpose.FORM_ANSWER), keys.key(Purpose.SESSION), SECRET):
        with pytest.raises(InstallRefused) as refused:
            parse_user_id(user_id_for(TICKET, other), install)
        assert refused.value.reason == "unknown_install"


def test_a_previous_secrets_keys_verify_but_never_make_anything() -> None:
    rotated, before = SecretKeys(SECRET, [OLDER]), SecretKeys(OLDER)
    purpose = Purpose.WOOCOMMERCE_INSTALL
    assert rotated.key(purpose) == SecretKeys(SECRET).key(purpose)
    assert rotated.previous(purpose) == (before.key(purpose),)
    sealed_before = user_id_for(TICKET, before.key(purpose))
    assert parse_user_id(sealed_before, rotated.key(purpose), rotated.previous(purpose)) == TICKET
    with pytest.raises(InstallRefused):
        parse_user_id(sealed_before, rotated.key(purpose))


def test_older_pseudonyms_are_computable_under_the_previous_and_the_undivided_secrets() -> None:
    """What a redaction request looks for: pseudonyms made before a rotation, and before keys were per purpose
    (the raw SECRET_KEY, the published default included)."""
    older = SecretKeys(SECRET, [OLDER]).older_pseudonym_keys()
    assert SecretKeys(OLDER).key(Purpose.PSEUDONYM) in older
    assert {SECRET, OLDER, PUBLISHED_DEFAULT} <= set(older)
    assert SecretKeys(SECRET).key(Purpose.PSEUDONYM) not in older
    email = "ada@example.com"
    assert pseudonym(email, SecretKeys(OLDER).key(Purpose.PSEUDONYM)) in {pseudonym(email, key) for key in older}


def test_the_keys_never_show_in_a_repr() -> None:
    assert SECRET not in repr(SecretKeys(SECRET)) and "hidden" in repr(SecretKeys(SECRET))


@pytest.mark.parametrize(("value", "problem"), [
    (PUBLISHED_DEFAULT, "is the published development default"),
    ("short-secret", "must be at least 32 characters, got 12"),
    ("ab" * 20, "must be random, got only 2 distinct characters"),
    (SECRET, None),
    (hmac.new(b"x", b"y", hashlib.sha256).hexdigest(), None),
])
def test_a_production_secret_is_long_random_and_not_the_published_default(value: str, problem: str | None) -> None:
    assert secret_problem(value) == problem
