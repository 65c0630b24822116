"""Assay's settings are read once and checked together: every bad value named with its rule, none shown if secret."""

from __future__ import annotations

import pytest

from storage.settings import Settings, SettingsError, read_settings

INSTANCE = "/srv/assay/instance"


def problems(values: dict[str, object]) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        read_settings(values, INSTANCE)
    return str(refused.value).splitlines()


def test_nothing_set_is_the_embedded_default_with_its_database_in_the_instance_folder() -> None:
    settings = read_settings({}, INSTANCE)
    assert settings.database_url == "sqlite:////srv/assay/instance/assay.sqlite3"
    assert (settings.redis_url, settings.port, settings.shopify_pacing, settings.demo) == (None, 8000, True, False)


def test_text_from_the_environment_becomes_typed_values() -> None:
    settings = read_settings({"PORT": " 8080 ", "SHOPIFY_PACING": "off", "ASSAY_DEMO": "1",
                              "SHOPIFY_TIMEOUT_SECONDS": "2.5", "ASSAY_LOG_LEVEL": "warning"}, INSTANCE)
    assert (settings.port, settings.shopify_pacing, settings.demo) == (8080, False, True)
    assert (settings.shopify_timeout_seconds, settings.log_level) == (2.5, "WARNING")


def test_an_empty_value_is_the_default() -> None:
    settings = read_settings({"PORT": "", "SHOPIFY_PACING": " ", "DATABASE_URL": ""}, INSTANCE)
    assert (settings.port, settings.shopify_pacing) == (8000, True)
    assert settings.database_url.endswith("/instance/assay.sqlite3")


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("PORT", "abc", 'PORT: must be an integer 1-65535, got "abc"'),
    ("PORT", "70000", 'PORT: must be an integer 1-65535, got "70000"'),
    ("PORT", "80.5", 'PORT: must be an integer 1-65535, got "80.5"'),
    ("SHOPIFY_PACING", "sometimes", 'SHOPIFY_PACING: must be on or off (1/0, true/false, yes/no), got "sometimes"'),
    ("SHOPIFY_TIMEOUT_SECONDS", "0", 'SHOPIFY_TIMEOUT_SECONDS: must be a number above 0, got "0"'),
    ("ASSAY_STORE_SLOTS", "-1", 'ASSAY_STORE_SLOTS: must be an integer of at least 0, got "-1"'),
    ("ASSAY_LOG_LEVEL", "loud", 'ASSAY_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "loud"'),
])
def test_a_bad_value_is_named_with_its_rule(variable: str, value: str, problem: str) -> None:
    assert problems({variable: value}) == [problem]


def test_every_bad_value_is_named_at_once() -> None:
    assert [line.split(":")[0] for line in problems({"PORT": "x", "ASSAY_MAX_ATTEMPTS": "0", "RQ_QUEUE": "ok"})] == [
        "PORT", "ASSAY_MAX_ATTEMPTS"]


def test_a_secret_setting_never_shows_its_value() -> None:
    [problem] = problems({"REDIS_URL": "hunter2"})
    assert problem.startswith("REDIS_URL: must be a URL") and "hunter2" not in problem


def test_a_change_is_checked_as_the_environment_is_and_empty_restores_the_default() -> None:
    settings = read_settings({"ASSAY_PUBLIC_URL": "https://assay.example"}, INSTANCE)
    assert settings.changed({"ASSAY_PUBLIC_URL": ""}).public_url == ""
    assert settings.changed({"ACTION_LEASE_SECONDS": 0}).action_lease_seconds == 0
    with pytest.raises(SettingsError, match="ASSAY_MAX_ATTEMPTS: must be an integer of at least 1"):
        settings.changed({"ASSAY_MAX_ATTEMPTS": 0})


def test_typed_values_from_a_test_config_are_taken_as_they_are() -> None:
    settings = read_settings({"ASSAY_DEMO": True, "SHOPIFY_TIMEOUT_SECONDS": 2, "ASSAY_RETRY_BASE_SECONDS": 0},
                             INSTANCE)
    assert (settings.demo, settings.shopify_timeout_seconds, settings.retry_base_seconds) == (True, 2.0, 0.0)
    assert isinstance(settings, Settings)
