"""`assay db`, `assay stores` and `assay policy`: what they print, and how they refuse bad input."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from support.settings import change_settings

from cli.main import cli
from storage.db import Storage, storage_of
from storage.migrate import head_revision
from webhooks.app import create_app

pytestmark = pytest.mark.integration

TOKEN = "shpat_never_printed"
WOO = ["stores", "add", "--platform", "woocommerce", "--url", "https://kestia.example", "--key", "ck_" + "a" * 40,
       "--secret", "cs_never_printed", "--webhook-secret", "whsec_never_printed"]
SHOPIFY = ["stores", "add", "--platform", "shopify", "--domain", "pristine-crystals.myshopify.com", "--token", TOKEN]

Run = Callable[..., Result]


def app_for(url: str, keys: str) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": url, "ASSAY_ENCRYPTION_KEYS": keys, "TESTING": True})
    yield app
    storage_of(app).dispose()


@pytest.fixture
def app(storage: Storage, storage_url: str, encryption_keys: str) -> Iterator[Flask]:
    yield from app_for(storage_url, encryption_keys)


def runner_for(app: Flask) -> Run:
    def run(*args: str) -> Result:
        return app.test_cli_runner().invoke(cli, list(args))

    return run


@pytest.fixture
def run(app: Flask) -> Run:
    return runner_for(app)


def assert_refused(result: Result, *fragments: str) -> None:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_db_upgrade_reports_the_revision_without_a_password(run: Run) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"is at revision {head_revision()}" in result.output


def test_added_stores_are_listed_without_their_secrets(run: Run) -> None:
    assert run(*SHOPIFY).output.startswith("added shopify store pristine-crystals.myshopify.com (id ")
    assert run(*WOO, ).exit_code == 0
    assert run("policy", "set", "--domain", "kestia.example", "--preset", "kestia").output == "kestia@1\n"
    listed = run("stores", "list")
    assert listed.exit_code == 0
    rows = [line.split("\t") for line in listed.output.splitlines()]
    assert rows[0] == ["id", "platform", "domain", "status", "policy", "api_base_url"]
    assert [row[1:] for row in rows[1:]] == [
        ["shopify", "pristine-crystals.myshopify.com", "active", "-", "-"],
        ["woocommerce", "kestia.example", "active", "kestia@1", "https://kestia.example"],
    ]
    assert "never_printed" not in listed.output


def test_an_empty_list_says_how_to_add_a_store(run: Run) -> None:
    assert "assay stores add" in run("stores", "list").output


@pytest.mark.parametrize(("args", "fragments"), [
    (["stores", "add", "--platform", "shopify"], ["a shopify store needs --domain, --token"]),
    (["stores", "add", "--platform", "shopify", "--domain", "a.myshopify.com", "--token", "t", "--key", "k"],
     ["--key is not for shopify stores"]),
    (["stores", "add", "--platform", "woocommerce", "--domain", "x"],
     ["a woocommerce store needs --url, --key, --secret, --webhook-secret", "--domain is not for woocommerce"]),
    (["stores", "add", "--platform", "etsy"], ["'--platform'", "'etsy' is not one of"]),
    (["stores", "add", "--platform", "shopify", "--domain", "crystals.com", "--token", "t"],
     ["'--domain'", "*.myshopify.com", "'crystals.com'"]),
    ([*WOO[:-4], "--secret", "secret_never_printed", "--webhook-secret", "w"], ["'--secret'", "must start with 'cs_'"]),
    (["stores", "add", "--platform", "shopify", "--domain", "a.myshopify.com", "--token", "t", "--api-base", "x"],
     ["No such option '--api-base'"]),
])
def test_bad_store_options_are_named_with_their_rule(run: Run, args: list[str], fragments: list[str]) -> None:
    result = run(*args)
    assert_refused(result, *fragments)
    assert "never_printed" not in result.output


def test_adding_a_store_twice_is_refused(run: Run) -> None:
    run(*SHOPIFY)
    assert_refused(run(*SHOPIFY), "'--domain'", "already exists")


def test_policy_set_counts_versions_and_show_prints_the_current_document(run: Run, tmp_path: Path) -> None:
    run(*SHOPIFY)
    domain = "pristine-crystals.myshopify.com"
    assert run("policy", "set", "--domain", domain, "--preset", "kestia").output == "kestia@1\n"
    document = json.loads(run("presets", "show", "pandorana").output)
    file = tmp_path / "policy.json"
    file.write_text(json.dumps({**document, "name": "Ours"}))
    assert run("policy", "set", "--domain", domain, "--file", str(file)).output == "pandorana@2\n"
    shown = json.loads(run("policy", "show", "--domain", domain).output)
    assert (shown["key"], shown["version"], shown["name"]) == ("pandorana", 2, "Ours")
    older = json.loads(run("policy", "show", "--domain", domain, "--version", "1").output)
    assert older["key"] == "kestia"


def test_an_invalid_policy_file_lists_every_error_and_saves_nothing(run: Run, tmp_path: Path) -> None:
    run(*SHOPIFY)
    file = tmp_path / "policy.json"
    file.write_text(json.dumps({"key": "Bad Key", "name": "x"}))
    result = run("policy", "set", "--domain", "pristine-crystals.myshopify.com", "--file", str(file))
    assert_refused(result, "'--file'", "  key: ", "  returns: ", "nothing saved")
    assert_refused(run("policy", "show", "--domain", "pristine-crystals.myshopify.com"), "no policy yet")


@pytest.mark.parametrize(("args", "fragments"), [
    (["--preset", "kestia", "--file", "x.json"], ["exactly one of --preset NAME or --file FILE"]),
    ([], ["exactly one of --preset NAME or --file FILE"]),
    (["--preset", "nope"], ["'--preset'", "must be one of", "'nope'"]),
    (["--file", "/nonexistent/policy.json"], ["'--file'", "cannot be read"]),
])
def test_bad_policy_options_are_named(run: Run, args: list[str], fragments: list[str]) -> None:
    run(*SHOPIFY)
    assert_refused(run("policy", "set", "--domain", "pristine-crystals.myshopify.com", *args), *fragments)


def test_a_policy_file_that_is_not_json_says_where(run: Run, tmp_path: Path) -> None:
    run(*SHOPIFY)
    file = tmp_path / "policy.json"
    file.write_text('{"key": ')
    result = run("policy", "set", "--domain", "pristine-crystals.myshopify.com", "--file", str(file))
    assert_refused(result, "'--file'", "is not valid JSON", "line 1")


def test_an_unknown_domain_points_to_the_store_list(run: Run) -> None:
    assert_refused(run("policy", "show", "--domain", "nobody.myshopify.com"), "'--domain'", "assay stores list")


def test_an_unreachable_database_is_one_clear_line(encryption_keys: str) -> None:
    app = next(app_for("postgresql+psycopg://postgres:hunter2@127.0.0.1:9/assay", encryption_keys))
    try:
        for args in (["stores", "list"], ["db", "upgrade"]):
            result = runner_for(app)(*args)
            assert_refused(result, "127.0.0.1:9", "cannot be")
            assert "hunter2" not in result.output
    finally:
        storage_of(app).dispose()


def test_a_database_never_upgraded_says_to_run_db_upgrade(fresh_schema: Callable[[], str],
                                                          encryption_keys: str) -> None:
    for app in app_for(fresh_schema(), encryption_keys):
        assert_refused(runner_for(app)("stores", "list"), "assay db upgrade")


@pytest.mark.parametrize(("url", "fragment"), [
    ("mysql://root:hunter2@db/assay", "must start postgresql+psycopg:// or sqlite:///, got mysql://"),
    ("not a url hunter2", "must be a URL such as"),
])
def test_an_unusable_database_url_is_named_without_its_password(url: str, fragment: str,
                                                                encryption_keys: str) -> None:
    for app in app_for(url, encryption_keys):
        for args in (["stores", "list"], ["db", "upgrade"]):
            result = runner_for(app)(*args)
            assert_refused(result, "DATABASE_URL", fragment)
            assert "hunter2" not in result.output


def test_a_bare_postgres_url_gets_the_installed_driver(storage_url: str, encryption_keys: str) -> None:
    bare = storage_url.replace("postgresql+psycopg://", "postgres://")
    for app in app_for(bare, encryption_keys):
        assert runner_for(app)("stores", "list").exit_code == 0


def test_an_unusable_encryption_key_is_named_by_position(storage: Storage, storage_url: str) -> None:
    for app in app_for(storage_url, "hunter2-not-a-key"):
        result = runner_for(app)(*SHOPIFY)
        assert_refused(result, "ASSAY_ENCRYPTION_KEYS key 1 must be a Fernet key")
        assert "hunter2" not in result.output


def test_stores_login_link_prints_a_single_use_link_that_opens_a_session(app: Flask, run: Run) -> None:
    assert run(*WOO).exit_code == 0
    change_settings(app, ASSAY_PUBLIC_URL="https://assay.example")
    result = run("stores", "login-link", "--domain", "kestia.example", "--by", "anna@kestia.example")
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("https://assay.example/admin/login/")
    client = app.test_client()
    first = client.get(link.removeprefix("https://assay.example"))
    assert first.status_code == 303 and "HttpOnly" in first.headers["Set-Cookie"]
    assert client.get(link.removeprefix("https://assay.example")).status_code == 401  # spent


def test_stores_login_link_needs_the_public_url(run: Run) -> None:
    assert run(*WOO).exit_code == 0
    result = run("stores", "login-link", "--domain", "kestia.example")
    assert result.exit_code == 1 and "ASSAY_PUBLIC_URL" in result.output
