"""Production (PostgreSQL, Redis or a public URL) never starts on a guessable SECRET_KEY or with the demo's sign-in;
the embedded default makes its own secret once and keeps it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from storage.db import storage_of
from storage.settings import settings_of
from webhooks.app import create_app

pytestmark = pytest.mark.integration

ASSAY = os.path.join(os.path.dirname(sys.executable), "assay")
REAL_SECRET = "Zr4-kQ8vN2xW7pL0aT5yB9cE3hJ6mS1uF_dG"


@pytest.fixture(autouse=True)
def no_secret_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "SECRET_KEY_PREVIOUS", "ASSAY_DEMO", "REDIS_URL", "ASSAY_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def production(storage_url: str, redis_url: str, tmp_path: Path) -> dict[str, dict[str, object]]:
    """Each way a deployment is production, alone."""
    sqlite = f"sqlite:///{tmp_path}/assay.sqlite3"
    return {"DATABASE_URL is not SQLite": {"DATABASE_URL": storage_url},
            "REDIS_URL is set": {"DATABASE_URL": sqlite, "REDIS_URL": redis_url},
            "ASSAY_PUBLIC_URL is set": {"DATABASE_URL": sqlite, "ASSAY_PUBLIC_URL": "https://assay.example"}}


def refusal(config: dict[str, object]) -> str:
    with pytest.raises(RuntimeError) as refused:
        create_app({"TESTING": True, **config})
    return str(refused.value)


@pytest.mark.parametrize("sign", ["DATABASE_URL is not SQLite", "REDIS_URL is set", "ASSAY_PUBLIC_URL is set"])
def test_production_without_a_secret_key_refuses_to_start_naming_the_setting_and_the_rule(
        production: dict[str, dict[str, object]], sign: str) -> None:
    message = refusal(production[sign])
    assert sign in message
    assert "SECRET_KEY must be set to at least 32 random characters" in message


@pytest.mark.parametrize(("secret", "rule"), [
    ("dev-only-not-secret", "SECRET_KEY is the published development default"),
    ("0123456789", "SECRET_KEY must be at least 32 characters, got 10"),
    ("x" * 40, "SECRET_KEY must be random, got only 1 distinct characters"),
])
def test_production_with_a_guessable_secret_key_refuses_to_start_without_echoing_it(
        storage_url: str, secret: str, rule: str) -> None:
    message = refusal({"DATABASE_URL": storage_url, "SECRET_KEY": secret})
    assert rule in message and secret not in message


def test_a_weak_previous_secret_key_is_refused_too(storage_url: str) -> None:
    message = refusal({"DATABASE_URL": storage_url, "SECRET_KEY": REAL_SECRET,
                       "SECRET_KEY_PREVIOUS": "dev-only-not-secret"})
    assert "SECRET_KEY_PREVIOUS key 1 is the published development default" in message


@pytest.mark.parametrize("sign", ["DATABASE_URL is not SQLite", "REDIS_URL is set", "ASSAY_PUBLIC_URL is set"])
def test_production_with_the_demo_sign_in_refuses_to_start_naming_both_settings(
        production: dict[str, dict[str, object]], sign: str) -> None:
    message = refusal({**production[sign], "SECRET_KEY": REAL_SECRET, "ASSAY_DEMO": True})
    assert sign in message and "ASSAY_DEMO must be off" in message
    assert "SECRET_KEY" not in message.split(":", 1)[1], "the secret is fine: only the demo is said"


def test_every_problem_is_said_at_once(storage_url: str) -> None:
    message = refusal({"DATABASE_URL": storage_url, "ASSAY_DEMO": True})
    assert "SECRET_KEY must be set" in message and "ASSAY_DEMO must be off" in message


def test_production_with_a_real_secret_key_starts_and_flask_gets_a_key_of_its_own(storage_url: str) -> None:
    app = create_app({"DATABASE_URL": storage_url, "SECRET_KEY": REAL_SECRET, "TESTING": True})
    try:
        assert app.secret_key and app.secret_key != REAL_SECRET
        assert REAL_SECRET not in str(app.config.values()), "the root secret is in no setting code can read"
        assert settings_of(app).secret_key is None and REAL_SECRET not in repr(settings_of(app))
    finally:
        storage_of(app).dispose()


@pytest.mark.parametrize("command", ["worker", "clock"])
def test_assay_worker_and_clock_refuse_to_start_in_production_without_a_secret_key(
        storage_url: str, redis_url: str, command: str) -> None:
    environment = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "ASSAY_DEMO")}
    environment.update(DATABASE_URL=storage_url, REDIS_URL=redis_url, RQ_QUEUE=f"assay-test-{uuid.uuid4().hex[:12]}")
    try:
        ran = subprocess.run([ASSAY, command], env=environment, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`assay {command}` kept running in production without a SECRET_KEY")
    assert ran.returncode != 0
    assert "SECRET_KEY must be set to at least 32 random characters" in ran.stderr
    assert "Traceback" not in ran.stderr, "one clear line, not a stack"


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`make run` with nothing configured (the demo on), its instance folder in tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSAY_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("ASSAY_DEMO", "1")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    yield tmp_path / "instance"


def test_the_embedded_default_makes_a_private_secret_once_and_keeps_it(embedded: Path) -> None:
    first = create_app()
    secret_file = embedded / "secret.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 32
    again = create_app()
    assert first.secret_key == again.secret_key, "the next start signs as the last did"
    assert settings_of(first).demo is True
    for app in (first, again):
        storage_of(app).dispose()
