"""The policy editor's form, read off the policy schema itself: every clause the engine knows is a field on the
page, with the choices the schema allows and the page's words for it, so the form cannot drift from the engine."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from admin.merchant_words import label, toggle
from policies.fields import Choice, Flag, Money, Whole
from policies.policy_schema import PolicySchema

# The page's words for a choice's values; a value without one is shown with its underscores as spaces.
CHOICE_WORDS = {"placement": "the order is placed", "fulfilment": "the order ships", "delivery": "delivery",
                "approve": "approve", "decline": "decline", "review": "a person reviews", "statutory": "the legal "
                "cancellation right applies", "merchant_if_faulty": "the store, when the item is faulty",
                "if_faulty": "only when the item is faulty"}


def _choice_words(value: str) -> str:
    return CHOICE_WORDS.get(value, value.replace("_", " "))


def _field(name: str, field: fields.Field[Any], path: str) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name, "path": path, "label": label(path).split(" › ")[-1],
                            "required": bool(field.required)}
    if isinstance(field, fields.Nested):
        nested = field.nested
        schema = nested() if isinstance(nested, type) else nested
        assert isinstance(schema, Schema)
        node.update(type="section", fields=_fields(schema, path), toggle=toggle(path))
    elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        inner = _field("item", field.inner, path + ".#")
        node.update(type="list", fields=inner["fields"])
    elif isinstance(field, fields.List):
        node.update(type="words")
    elif isinstance(field, fields.Dict):
        keys, values = field.key_field, field.value_field
        assert isinstance(keys, Choice) and values is not None
        node.update(type="map", keys=[{"value": k.value, "words": _choice_words(k.value)} for k in keys.allowed],
                    value=_field("value", values, path + ".*"))
    elif isinstance(field, Choice):
        node.update(type="choice", choices=[{"value": c.value, "words": _choice_words(c.value)} for c in field.allowed])
    elif isinstance(field, Flag):
        node.update(type="bool")
    elif isinstance(field, Whole):
        node.update(type="whole")
    elif isinstance(field, Money):
        node.update(type="money")
    else:
        node.update(type="text")
    return node


def _fields(schema: Schema, prefix: str) -> list[dict[str, Any]]:
    found = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key == "version" and not prefix:
            continue  # the document's format version, not a merchant's setting
        found.append(_field(key, field, f"{prefix}.{key}" if prefix else key))
    return found


def policy_form() -> list[dict[str, Any]]:
    """The editor's fields, in the schema's order: sections, lists of sections, choices, flags and numbers."""
    return _fields(PolicySchema(), "")
