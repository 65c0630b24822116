"""A policy's field errors as a merchant reads them: every one at once, keyed by the field's path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from policies.fields import flatten_errors
from policies.policy_schema import load_policy

SECTIONS = {"key": "Policy identifier", "name": "Policy name", "cancellation": "Cancellations",
            "returns": "Returns", "exclusions": "Exclusions", "claims": "Damage and defects",
            "warranty": "Warranty", "refunds": "Refunds", "promise": "Response times", "document": "The policy"}
FIELDS = {"window": "time limit", "length": "how long", "unit": "counted in", "from": "counted from",
          "outcome": "what happens", "accepted": "returns accepted", "condition": "item condition",
          "words": "words that mark an item", "message": "message to customers", "kind": "type",
          "statutory_window": "statutory cancellation period", "after_fulfilment": "after shipping",
          "until_fulfilment": "ends when shipped", "after_window": "after the time limit",
          "reasons": "problems and what happens", "photos_required": "photos needed",
          "original_shipping": "original shipping refunded", "return_shipping": "who pays return shipping",
          "restocking_fee_percent": "restocking fee (%)", "return_label_fee": "return label fee",
          "respond_within": "reply within", "resolve_within": "resolve within",
          "fallback": "if that date is unknown, count from", "fallback_delay": "extra time after that date",
          "skus": "SKUs", "properties": "order line properties", "product_types": "product types",
          "promise": "reply promise", "unlisted_reason": "a problem not listed above",
          "photos_by_reason": "photos needed per problem", "unless_faulty": "unless the item is faulty",
          "international_shipping_refunded": "international shipping refunded"}


# An optional part of the policy is switched on by a checkbox; these say what switching it on means.
TOGGLES = {"window": "Set a time limit", "fallback_delay": "Add time after that date",
           "promise": "Promise a reply time", "statutory_window": "Give a statutory cancellation period",
           "condition": "Require an item condition", "cancellation": "Accept cancellations",
           "claims": "Handle damage and defect claims", "warranty": "Offer a warranty", "refunds": "Set refund rules",
           "respond_within": "Promise a first reply", "resolve_within": "Promise a resolution"}


def toggle(path: str) -> str:
    """The checkbox's words for an optional part: what it does, else 'Use "<its label>"'."""
    last = path.split(".")[-1]
    return TOGGLES.get(last) or f"Use “{label(path).split(' › ')[-1]}”"


def label(path: str) -> str:
    """'returns.window.length' -> 'Returns › time limit › how long'; list positions counted from 1."""
    first, *rest = path.split(".")
    words = [SECTIONS.get(first, first.replace("_", " ").capitalize())]
    words += [f"#{int(part) + 1}" if part.isdigit() else FIELDS.get(part, part.replace("_", " ")) for part in rest]
    return " › ".join(words)


def policy_errors(document: Any) -> dict[str, str]:
    """Every field error of a policy document, `{path: "Label: rule"}`; empty when it is valid."""
    if not isinstance(document, Mapping):
        return {"document": "The policy: must be a JSON object"}
    try:
        load_policy({"version": 1, **document})
    except ValidationError as error:
        return errors_by_field(flatten_errors(error.messages))
    return {}


def errors_by_field(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        path, _, rule = line.partition(": ")
        found[path] = f"{found[path]}; {rule}" if path in found else f"{label(path)}: {rule}"
    return found
