"""shopify.app.toml agrees with what Assay does: its scopes are those its GraphQL documents need, its webhook
topics those the adapter handles, and `assay shopify config` prints it filled in for a deployment."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner
from graphql import OperationDefinitionNode, parse
from unit.test_shopify_documents import all_connector_documents

from cli.main import cli
from connector.shopify.adapter import ADAPTER
from connector.shopify.app_toml import ROOT_FIELD_SCOPES, app_toml, required_scopes, root_fields
from connector.shopify.documents import ALL_DOCUMENTS
from connector.shopify.topics import PRIVACY_TOPICS

TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"


def committed() -> dict[str, object]:
    return tomllib.loads(TOML.read_text(encoding="utf-8"))


def graphql_root_fields(source: str) -> list[str]:
    operation = next(d for d in parse(source).definitions if isinstance(d, OperationDefinitionNode))
    return [selection.name.value for selection in operation.selection_set.selections]  # type: ignore[attr-defined]


def test_the_committed_toml_is_what_the_code_makes() -> None:
    assert TOML.read_text(encoding="utf-8") == app_toml(ALL_DOCUMENTS), "regenerate: see connector/shopify/app_toml.py"


def test_every_document_is_in_the_registry_the_scopes_are_derived_from() -> None:
    assert {d.operation_name for d in all_connector_documents()} == {d.operation_name for d in ALL_DOCUMENTS}


def test_each_documents_root_fields_are_read_as_graphql_reads_them_and_each_has_its_scope() -> None:
    for document in ALL_DOCUMENTS:
        fields = graphql_root_fields(document.source)
        assert root_fields(document.source) == fields, document.operation_name
        assert set(fields) <= set(ROOT_FIELD_SCOPES), f"{document.operation_name}: add its root field's scope"


def test_the_scopes_are_exactly_those_the_documents_and_topics_need() -> None:
    needed: set[str] = set()
    for document in ALL_DOCUMENTS:
        for field in graphql_root_fields(document.source):
            needed.update(ROOT_FIELD_SCOPES[field])
    scopes = committed()["access_scopes"]["scopes"].split(",")  # type: ignore[index]
    assert scopes == sorted(needed | {"read_orders", "read_returns"}) == required_scopes(ALL_DOCUMENTS)
    assert "write_customers" not in scopes and "read_products" not in scopes  # nothing asked that isn't used


def test_the_webhook_topics_are_exactly_the_handled_ones_and_the_privacy_ones_are_compliance_topics() -> None:
    toml = committed()
    webhooks = toml["webhooks"]
    assert webhooks["api_version"] == "2026-07"  # type: ignore[index]
    subscriptions = webhooks["subscriptions"]  # type: ignore[index]
    topics = {t for s in subscriptions for t in s.get("topics", [])}
    compliance = {t for s in subscriptions for t in s.get("compliance_topics", [])}
    assert compliance == set(PRIVACY_TOPICS)
    assert topics | compliance == set(ADAPTER.topics) and not topics & compliance
    assert toml["embedded"] is True and toml["app_proxy"]["subpath"] == "assay"  # type: ignore[index]


def test_assay_shopify_config_prints_the_toml_for_this_deployment() -> None:
    env = {"SHOPIFY_API_KEY": "abc123", "ASSAY_PUBLIC_URL": "https://assay.example", "SHOPIFY_API_SECRET": "s" * 32,
           "DATABASE_URL": "sqlite://"}
    result = CliRunner().invoke(cli, ["shopify", "config"], env=env)
    assert result.exit_code == 0, result.output
    printed = tomllib.loads(result.output)
    assert printed["client_id"] == "abc123"
    assert printed["application_url"] == "https://assay.example/shopify/app"
    assert printed["webhooks"]["subscriptions"][0]["uri"] == "https://assay.example/webhooks/shopify"
    assert printed["access_scopes"] == committed()["access_scopes"]


def test_assay_shopify_config_says_what_to_set() -> None:
    result = CliRunner().invoke(cli, ["shopify", "config"], env={"SHOPIFY_API_KEY": "", "ASSAY_PUBLIC_URL": "",
                                                                 "DATABASE_URL": "sqlite://"})
    assert result.exit_code == 1
    assert "set SHOPIFY_API_KEY and ASSAY_PUBLIC_URL" in result.output
