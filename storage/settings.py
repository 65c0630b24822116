"""Assay's settings: each declared once here (its variable, type, default, rule and meaning), read from the
environment once, by the app factory, and checked all together, so a bad value stops Assay with one line naming the
variable and its rule. A leaf: every layer above policies/ may import it, and it imports nothing of Assay's."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "assay.settings"
KEYS_SETTING = "ASSAY_ENCRYPTION_KEYS"  # comma-separated Fernet keys, newest first
DATABASE_FILE_NAME = "assay.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ON, _OFF = ("1", "on", "true", "yes"), ("0", "off", "false", "no")


class SettingsError(ValueError):
    """Settings that break their rule, one line each: `NAME: rule, got value` (a secret's value is never shown)."""


@dataclass(frozen=True)
class Rule:
    """What a setting's value must be, in words for the error, and how its text becomes the typed value."""

    words: str
    parse: Callable[[object], Any]


def _text(value: object) -> str:
    return str(value).strip()


def _integer_of(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(value) if isinstance(value, int) else int(str(value).strip())


def _number_of(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value) if isinstance(value, int | float) else float(str(value).strip())


def _within(parse: Callable[[object], Any], low: float | None, high: float | None) -> Callable[[object], Any]:
    def parse_within(value: object) -> Any:
        number = parse(value)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(value)
        return number
    return parse_within


def _range_words(kind: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"must be {kind} {low:g}-{high:g}"
    if low is not None:
        return f"must be {kind} of at least {low:g}"
    return f"must be {kind}"


def integer(low: int | None = None, high: int | None = None) -> Rule:
    return Rule(_range_words("an integer", low, high), _within(_integer_of, low, high))


def number(low: float | None = None) -> Rule:
    return Rule(_range_words("a number", low, None), _within(_number_of, low, None))


def _positive_number_of(value: object) -> float:
    found = _number_of(value)
    if found <= 0:
        raise ValueError(value)
    return found


POSITIVE_NUMBER = Rule("must be a number above 0", _positive_number_of)


def _flag_of(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).lower()
    if word not in _ON + _OFF:
        raise ValueError(value)
    return word in _ON


def _level_of(value: object) -> str:
    level = _text(value).upper()
    if level not in LOG_LEVELS:
        raise ValueError(value)
    return level


def _url_of(value: object) -> str:
    url = _text(value)
    if "://" not in url:
        raise ValueError(value)
    return url


TEXT = Rule("must be text", _text)
URL = Rule("must be a URL (scheme://…)", _url_of)
FLAG = Rule("must be on or off (1/0, true/false, yes/no)", _flag_of)
LOG_LEVEL = Rule(f"must be one of {', '.join(LOG_LEVELS)}", _level_of)


def setting(variable: str, rule: Rule, default: Any, meaning: str, *, shown_default: str | None = None,
            secret: bool = False) -> Any:
    """A field of Settings read from `variable`; `default` when it is unset or empty."""
    shown = shown_default if shown_default is not None else _shown(default)
    described = {"variable": variable, "rule": rule, "meaning": meaning, "default": shown, "secret": secret}
    return field(default=default, repr=not secret, metadata=described)


def _shown(default: Any) -> str:
    if default is None or default == "":
        return "unset"
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"{default:g}" if isinstance(default, float) else str(default)


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and checked; made once at start by `read_settings` (the app factory calls it)."""

    # Its shape is checked by storage/db.py's database_url, which names the problem without the password.
    database_url: str = setting(
        "DATABASE_URL", TEXT, "", "SQLAlchemy URL; PostgreSQL in production (`postgresql+psycopg://…`)",
        shown_default=f"SQLite in `instance/{DATABASE_FILE_NAME}`", secret=True)
    redis_url: str | None = setting(
        "REDIS_URL", URL, None, "RQ's Redis; unset runs jobs on threads inside the web process (the embedded default)",
        secret=True)  # it may hold a password
    rq_queue: str = setting("RQ_QUEUE", TEXT, "assay", "the RQ queue's name (it also keeps two deployments' "
                                                       "ledgers apart in one Redis)")
    encryption_keys: str | None = setting(
        KEYS_SETTING, TEXT, None, "Fernet keys, comma-separated, newest first, for credentials at rest",
        shown_default="a key made once in `instance/`", secret=True)
    secret_key: str | None = setting(
        "SECRET_KEY", TEXT, None,
        "the root of Assay's own keys: install tickets, storefront answer tokens, customers' pseudonyms and the "
        "session cookie each use a key derived from it (HKDF, one per use). Production (PostgreSQL, Redis or "
        "`ASSAY_PUBLIC_URL` configured) refuses to start without one of at least 32 characters that is no "
        "published default", shown_default="the embedded default makes one in `instance/secret.key`", secret=True)
    secret_key_previous: str | None = setting(
        "SECRET_KEY_PREVIOUS", TEXT, None, "older secrets, comma-separated, newest first, still accepted while a "
        "rotation settles (docs/security.md, \"Rotating SECRET_KEY\")", secret=True)
    max_content_length: int = setting(
        "MAX_CONTENT_LENGTH", integer(1), 1024 * 1024, "largest request body accepted, in bytes: the web's worker "
        "refuses a larger one (413) before reading it, and so does the app")
    port: int = setting("PORT", integer(1, 65535), 8000, "the port `assay run` (and the Procfile's web) listens on")
    public_url: str = setting(
        "ASSAY_PUBLIC_URL", TEXT, "", "Assay's public https URL, where platforms send keys and webhooks; setting it "
        "means production. The WooCommerce install that starts at `GET /woocommerce/install?store_url=https://shop…` "
        "is described in [woocommerce.md](woocommerce.md)", shown_default="unset (installs refused)")
    demo: bool = setting(
        "ASSAY_DEMO", FLAG, False, "on: a visitor of `/` or `/admin/` without a session is signed in to the demo "
        "store (`assay demo seed`). Production refuses to start with it",
        shown_default="off (`make run` turns it on for itself)")
    log_level: str = setting("ASSAY_LOG_LEVEL", LOG_LEVEL, "INFO", "the level of the JSON log lines (one object per "
                                                                   "line, every field; web, worker and clock alike)")
    shopify_api_secret: str = setting(
        "SHOPIFY_API_SECRET", TEXT, "", "the app's client secret (webhooks, app proxy, session tokens, token "
        "exchange). Unset: every Shopify route answers 503 `not_configured` and nothing signed with an empty key is "
        "accepted", shown_default="unset (Shopify refused)", secret=True)
    shopify_api_secret_previous: str | None = setting(
        "SHOPIFY_API_SECRET_PREVIOUS", TEXT, None, "the previous client secret, still accepted during a rotation",
        secret=True)
    shopify_api_key: str = setting(
        "SHOPIFY_API_KEY", TEXT, "", "the app's client id: session tokens' `aud`, and who asks Shopify's token "
        "endpoint", shown_default="unset (the embedded app refused)")
    shopify_timeout_seconds: float = setting("SHOPIFY_TIMEOUT_SECONDS", POSITIVE_NUMBER, 10.0,
                                             "Admin API request timeout")
    shopify_pacing: bool = setting(
        "SHOPIFY_PACING", FLAG, True, "each Shopify store's writes are paced to its rate-limit bucket (a ledger in "
        "Redis under `RQ_QUEUE`, or in-process); off sends them at once and leaves Shopify's THROTTLED answers to "
        "slow them")
    woocommerce_timeout_seconds: float = setting("WOOCOMMERCE_TIMEOUT_SECONDS", POSITIVE_NUMBER, 10.0,
                                                 "WooCommerce REST request timeout")
    woocommerce_backoff_seconds: float = setting(
        "WOOCOMMERCE_BACKOFF_SECONDS", number(0), 0.5, "first wait before a failed WooCommerce call is tried again "
        "in place (doubling, a second in all; longer waits reschedule the job)")
    job_timeout_seconds: int = setting(
        "ASSAY_JOB_TIMEOUT_SECONDS", integer(1), 30, "RQ ends a job after this; every platform call inside one "
        "times out sooner")
    action_lease_seconds: float | None = setting(
        "ACTION_LEASE_SECONDS", number(0), None, "after this, a write whose worker died is taken over (never "
        "shorter than a job may run)", shown_default="job timeout + 10")
    store_slots: int = setting(
        "ASSAY_STORE_SLOTS", integer(0), 8, "jobs of one store queued or running at once per queue (RQ 3 "
        "concurrency limit); more wait their turn so other stores go past. `0`: plain FIFO")
    relay_grace_seconds: float = setting(
        "ASSAY_RELAY_GRACE_SECONDS", number(0), 15.0, "work still undone this long after it was recorded is queued "
        "again by the relay")
    max_attempts: int = setting(
        "ASSAY_MAX_ATTEMPTS", integer(1), 10, "tries of an event or a write before it is `failed` (a throttle or "
        "`Retry-After` pause is not a try, nor is a write put off to its slot in the store's Shopify bucket)")
    retry_base_seconds: float = setting(
        "ASSAY_RETRY_BASE_SECONDS", number(0), 2.0, "first retry delay; doubles each try (jittered, capped at 15 min) "
        "unless the platform said how long")
    relay_interval_seconds: int = setting("ASSAY_RELAY_INTERVAL_SECONDS", integer(1), 5,
                                          "how often the clock runs the relay")
    reconcile_interval_seconds: int = setting(
        "ASSAY_RECONCILE_INTERVAL_SECONDS", integer(1), 30, "how often the clock takes over writes whose worker died")
    poll_interval_seconds: int = setting(
        "ASSAY_POLL_INTERVAL_SECONDS", integer(1), 300, "how often the clock catches up on missed webhooks "
        "(WooCommerce's poll, the Shopify reconciliation)")
    prune_interval_seconds: int = setting("ASSAY_PRUNE_INTERVAL_SECONDS", integer(1), 3600,
                                          "how often the clock prunes what is done with")
    inbox_payload_days: float = setting(
        "INBOX_PAYLOAD_DAYS", number(0), 30.0, "handled inbox payloads are emptied after this many days by the "
        "clock's hourly prune (or `assay inbox prune`) (cases and snapshots keep what a decision needs)")
    install_starts_per_hour: int = setting(
        "INSTALL_STARTS_PER_HOUR", integer(1), 20, "install starts allowed per source address and per site each hour "
        "(429 above it; in-process, bounded)")
    install_ttl_seconds: float = setting(
        "INSTALL_TTL_SECONDS", number(), 3600.0, "how long a WooCommerce install ticket stays good, from its start")

    def changed(self, values: Mapping[str, object]) -> Settings:
        """These settings with `values` (by variable name) read and checked as the environment's are."""
        return replace(self, **_parsed(values))


def declared() -> tuple[Field[Any], ...]:
    """Every setting's field, in the order of the docs' table."""
    return fields(Settings)


def variables() -> frozenset[str]:
    return frozenset(str(each.metadata["variable"]) for each in declared())


def read_settings(values: Mapping[str, object], instance_path: str) -> Settings:
    """The settings in `values` (by variable name; unset or empty: the default), every one checked. The embedded
    default keeps its SQLite database in the instance folder."""
    parsed = _parsed(values)
    if not parsed.get("database_url"):
        parsed["database_url"] = "sqlite:///" + os.path.join(instance_path, DATABASE_FILE_NAME)
    return Settings(**parsed)


def settings_from_environment(overrides: Mapping[str, object], instance_path: str) -> Settings:
    """The one read of the process's environment; `overrides` (the tests' config) win over it."""
    return read_settings({**os.environ, **overrides}, instance_path)


def _parsed(values: Mapping[str, object]) -> dict[str, Any]:
    parsed, problems = {}, []
    for each in declared():
        variable, rule = each.metadata["variable"], each.metadata["rule"]
        if variable not in values:
            continue
        raw = values[variable]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            parsed[each.name] = each.default  # unset or empty: the default
            continue
        try:
            parsed[each.name] = rule.parse(raw)
        except (TypeError, ValueError):
            got = "a value that is not shown (a secret)" if each.metadata["secret"] else _quoted(raw)
            problems.append(f"{variable}: {rule.words}, got {got}")
    if problems:
        raise SettingsError("\n".join(problems))
    return parsed


def _quoted(raw: object) -> str:
    return json.dumps(raw, ensure_ascii=False) if isinstance(raw, str) else repr(raw)


def settings_of(app: Flask) -> Settings:
    """The app's settings (the factory put them on `app.extensions`)."""
    found: Settings = app.extensions[EXTENSION]
    return found


def markdown_table() -> str:
    """The docs' table of every setting (docs/configuration.md holds it; a unit test keeps the two the same)."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for each in declared():
        kind = each.metadata["rule"].words.removeprefix("must be ")
        rows.append(f"| `{each.metadata['variable']}` | {kind} | {each.metadata['default']} | "
                    f"{each.metadata['meaning']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
