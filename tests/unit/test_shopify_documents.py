"""Every GraphQL document under connector/shopify is valid against Shopify's 2026-07 Admin schema."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    NoDeprecatedCustomRule,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from support.shopify_cost import requested_query_cost
from support.shopify_schema import API_VERSION, admin_schema

import connector.shopify
from connector.shopify import api, install
from connector.shopify.api import Document

SHOPIFY_SINGLE_QUERY_COST_LIMIT = 1000


class NoDeprecatedUsageRule(NoDeprecatedCustomRule):
    """graphql-core's rule, minus its crash on a deprecated field argument of an introspected schema."""

    def enter_argument(self, node: ArgumentNode, key: Any, parent: Any, path: Any, ancestors: Any) -> None:
        argument = self.context.get_argument()
        deprecated = argument is not None and argument.deprecation_reason is not None
        if deprecated and self.context.get_directive() is None:
            # The stock rule reads the field's name from its SDL node, which introspection doesn't provide.
            field = next(a for a in reversed(ancestors) if isinstance(a, FieldNode))
            self.report_error(
                GraphQLError(
                    f"The argument '{self.context.get_parent_type()}.{field.name.value}({node.name.value}:)'"
                    f" is deprecated. {argument.deprecation_reason}",  # type: ignore[union-attr]
                    node,
                )
            )
            return
        super().enter_argument(node, key, parent, path, ancestors)


def all_connector_documents() -> list[Document]:
    """Every Document defined at module level anywhere in connector.shopify, not only the registry."""
    found: dict[str, Document] = {}
    for module_info in pkgutil.walk_packages(connector.shopify.__path__, "connector.shopify."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, Document):
                found[value.operation_name] = value
    return sorted(found.values(), key=lambda document: document.operation_name)


DOCUMENTS = all_connector_documents()


def parsed(document: Document) -> DocumentNode:
    return parse(document.source)


def mutation_fields(ast: DocumentNode) -> list[FieldNode]:
    return [
        selection
        for definition in ast.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.MUTATION
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    ]


def describe(errors: list[tuple[str, GraphQLError]]) -> str:
    return "\n".join(f"{name}: {error.message} at {error.locations}" for name, error in errors)


def test_the_documents_target_the_schema_version_the_tests_load() -> None:
    assert api.API_VERSION == API_VERSION


def test_every_registered_document_is_found_and_every_found_document_is_registered() -> None:
    assert {d.operation_name for d in DOCUMENTS} == {d.operation_name for d in install.ALL_DOCUMENTS}


def test_every_document_validates_against_the_2026_07_schema() -> None:
    schema = admin_schema()
    errors = [(d.operation_name, error) for d in DOCUMENTS for error in validate(schema, parsed(d))]
    assert not errors, "invalid against Admin API " + API_VERSION + ":\n" + describe(errors)


def test_no_document_uses_a_deprecated_field_argument_or_enum_value() -> None:
    schema = admin_schema()
    errors = [
        (d.operation_name, error) for d in DOCUMENTS for error in validate(schema, parsed(d), [NoDeprecatedUsageRule])
    ]
    assert not errors, "deprecated in " + API_VERSION + ":\n" + describe(errors)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.operation_name)
def test_each_document_is_one_operation_named_as_declared(document: Document) -> None:
    operations = [d for d in parsed(document).definitions if isinstance(d, OperationDefinitionNode)]
    assert [o.name.value if o.name else None for o in operations] == [document.operation_name]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.operation_name)
def test_each_document_stays_well_under_shopifys_single_query_cost_limit(document: Document) -> None:
    cost = requested_query_cost(admin_schema(), parsed(document))
    assert cost <= SHOPIFY_SINGLE_QUERY_COST_LIMIT // 2, f"{document.operation_name} costs about {cost}"


def test_mutations_that_document_idempotency_carry_the_idempotent_directive() -> None:
    schema = admin_schema()
    assert schema.mutation_type is not None
    missing = [
        f"{d.operation_name}.{field.name.value}"
        for d in DOCUMENTS
        for field in mutation_fields(parsed(d))
        if "@idempotent" in (schema.mutation_type.fields[field.name.value].description or "")
        and not any(directive.name.value == "idempotent" for directive in field.directives or ())
    ]
    assert not missing, f"these mutations need @idempotent(key:) in {API_VERSION}: {missing}"


def test_the_idempotent_directive_exists_on_fields_with_a_required_string_key() -> None:
    directive = admin_schema().get_directive("idempotent")
    assert directive is not None
    assert str(directive.args["key"].type) == "String!"
    assert [location.name for location in directive.locations] == ["FIELD"]
