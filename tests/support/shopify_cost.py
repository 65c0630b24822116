"""An estimate of Shopify's requested query cost, from its published rules, for tests and the fake.

Shopify's rules: scalars and enums cost 0, objects 1, a connection 2 plus `first`/`last` times its
nodes, a mutation field 10. Plain lists sized by `first` count like connections. Fragments on an
interface are summed (Shopify takes the maximum), so the estimate errs high, which is the safe side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)

MUTATION_FIELD_COST = 10
CONNECTION_COST = 2


def requested_query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """The estimated cost of the operation named (or the only one) in `document`."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)), None
    )
    if operation is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    estimator = _Estimator(schema, fragments, dict(variables or {}))
    is_mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if is_mutation else schema.query_type
    assert root is not None
    cost = estimator.selection_cost(root, operation.selection_set)
    if is_mutation:
        cost += MUTATION_FIELD_COST * len(operation.selection_set.selections)
    return cost


class _Estimator:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(self, parent: GraphQLCompositeType, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(target, selection.selection_set)  # type: ignore[arg-type]
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_cost(target, fragment.selection_set)  # type: ignore[arg-type]
        return total

    def field_cost(self, parent: GraphQLCompositeType, node: FieldNode) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0  # unions expose only __typename directly
        definition: GraphQLField | None = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        size = self.page_size(node)
        if named.name.endswith("Connection") and node.selection_set is not None:
            # Only the page's items multiply; pageInfo and totals are fetched once.
            per_item = once = 0
            for child in node.selection_set.selections:
                cost = self.selection_cost(named, SelectionSetNode(selections=(child,)))  # type: ignore[arg-type]
                if isinstance(child, FieldNode) and child.name.value in ("nodes", "edges"):
                    per_item += cost
                else:
                    once += cost
            return CONNECTION_COST + (size or 1) * per_item + once
        children = self.selection_cost(named, node.selection_set)  # type: ignore[arg-type]
        output = definition.type.of_type if is_non_null_type(definition.type) else definition.type
        if is_list_type(output) and size:
            return size * (1 + children)
        return 1 + children

    def page_size(self, node: FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
                return int(value) if value is not None else None
        return None
