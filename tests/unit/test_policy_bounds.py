"""Every list and text of a policy is bounded, and holds only text storage can keep: each refusal names the field,
the rule and what was given, and a policy at every bound still loads."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from policies.fields import flatten_errors
from policies.policy_schema import (
    MAX_ENTRY,
    MAX_EXCLUSIONS,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PRODUCT_TYPES,
    MAX_PROPERTIES,
    MAX_SKUS,
    MAX_TAGS,
    load_policy,
)

POLICY: dict[str, Any] = {"key": "mine", "name": "Mine", "returns": {"accepted": True}}


def errors_of(**changes: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_policy({**POLICY, **changes})
    return flatten_errors(raised.value.messages)


def listed(**fields: Any) -> dict[str, Any]:
    return {"exclusions": [{"kind": "listed", "words": ["x"], **fields}]}


@pytest.mark.parametrize(("changes", "error"), [
    (listed(tags=["t"] * (MAX_TAGS + 1)), f"exclusions.0.tags: must list at most {MAX_TAGS} tags, got 251"),
    (listed(skus=["s"] * 100_000), f"exclusions.0.skus: must list at most {MAX_SKUS} SKUs, got 100000"),
    (listed(product_types=["p"] * (MAX_PRODUCT_TYPES + 1)),
     f"exclusions.0.product_types: must list at most {MAX_PRODUCT_TYPES} product types, got 251"),
    (listed(properties=["p"] * (MAX_PROPERTIES + 1)),
     f"exclusions.0.properties: must list at most {MAX_PROPERTIES} properties, got 101"),
    ({"exclusions": [{"kind": "sale"}] * (MAX_EXCLUSIONS + 1)},
     f"exclusions: must list at most {MAX_EXCLUSIONS} exclusions, got 51"),
    (listed(message="m" * 900_000), f"exclusions.0.message: must be 0 to {MAX_MESSAGE} characters long, "
                                    "got 900000 characters"),
    (listed(tags=["t" * (MAX_ENTRY + 1)]), f"exclusions.0.tags.0: must be 0 to {MAX_ENTRY} characters long, "
                                           "got 256 characters"),
    (listed(skus=[7]), "exclusions.0.skus.0: must be a string"),
    ({"name": "n" * (MAX_NAME + 1)}, f"name: must be 1 to {MAX_NAME} characters long, got 201 characters"),
    ({"name": "Mine\x00"}, "name: must not contain the control or surrogate character U+0000"),
    ({"name": "Mine\ud800"}, "name: must not contain the control or surrogate character U+D800"),
    (listed(message="Final\x00sale"), "exclusions.0.message: must not contain the control or surrogate "
                                      "character U+0000"),
    (listed(tags=["sale", "\udc00"]), "exclusions.0.tags.1: must not contain the control or surrogate "
                                      "character U+DC00"),
    (listed(words=["mono\x00gram"]), "exclusions.0.words.0: must not contain the control or surrogate "
                                     "character U+0000"),
])
def test_a_list_or_text_past_its_bound_is_refused_naming_the_field_and_the_rule(
        changes: dict[str, Any], error: str) -> None:
    assert errors_of(**changes) == [error]


def test_a_policy_at_every_bound_loads() -> None:
    at_bound = {"kind": "listed", "words": ["x"], "tags": ["t" * MAX_ENTRY] * MAX_TAGS,
                "skus": ["s" * MAX_ENTRY] * MAX_SKUS, "product_types": ["p"] * MAX_PRODUCT_TYPES,
                "properties": ["engraving"] * MAX_PROPERTIES,
                "message": "Line one\nline two\t" + "m" * (MAX_MESSAGE - 18)}
    policy = load_policy({**POLICY, "name": "n" * MAX_NAME, "exclusions": [at_bound] * MAX_EXCLUSIONS})
    assert len(policy.exclusions) == MAX_EXCLUSIONS and len(policy.exclusions[0].skus) == MAX_SKUS
    assert policy.exclusions[0].message is not None and len(policy.exclusions[0].message) == MAX_MESSAGE
