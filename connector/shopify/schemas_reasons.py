"""Shopify's return reasons -> the contract's request kind and reason.

Shopify names a return line's reason two ways: the legacy `ReturnReason` enum (`return_reason` in the
webhook, "unwanted", "size_too_small"...; deprecated since 2026-01) and a `ReturnReasonDefinition` handle
from its reason library (data/return_reasons.yml in Shopify/product-taxonomy: "changed-my-mind",
"damaged-or-defective", plus hundreds of category-specific ones such as "comfort" or "too-tight").
Both are normalised to lower-case, hyphenated keys and looked up in one table.

| legacy enum      | library handle            | kind   | reason           |
|------------------|---------------------------|--------|------------------|
| DEFECTIVE        | damaged-or-defective      | claim  | defective        |
| NOT_AS_DESCRIBED | item-not-as-described     | claim  | not_as_described |
| WRONG_ITEM       | received-the-wrong-item   | claim  | wrong_item       |
|                  | inscription, condition    | claim  | not_as_described |
| SIZE_TOO_SMALL   | too-small                 | return | wrong_size       |
| SIZE_TOO_LARGE   | too-big                   | return | wrong_size       |
|                  | too-tight, too-loose      | return | wrong_size       |
|                  | too-long, too-short       | return | wrong_size       |
|                  | size, fit, length         | return | wrong_size       |
|                  | band-too-big, -too-small  | return | wrong_size       |
| UNWANTED         | changed-my-mind           | return | changed_mind     |
| STYLE, COLOR     | style, color              | return | changed_mind     |
| OTHER, UNKNOWN   | other-reason, unknown     | return | other            |
| (anything else: arrived-late, comfort, material, ...) |  | return | other      |

"damaged-or-defective" becomes `defective`, not `damaged_in_transit`: Shopify doesn't tell the two apart, and
`defective` is the one the engine hands to the warranty once the claims window has passed. "inscription" (the
engraving is wrong or badly done) and "condition" (not the advertised grade) are the merchant's error, so
they are claims. An unknown handle is a change-of-mind return with reason `other`: it never lifts a
final-sale exclusion on the customer's word alone, and the merchant still sees the request.
"""

from __future__ import annotations

from policies.case import Kind, Reason

CLAIM, RETURN = Kind.CLAIM, Kind.RETURN

REASONS: dict[str, tuple[Kind, Reason]] = {
    # legacy ReturnReason enum values
    "defective": (CLAIM, Reason.DEFECTIVE),
    "not-as-described": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "wrong-item": (CLAIM, Reason.WRONG_ITEM),
    "size-too-small": (RETURN, Reason.WRONG_SIZE),
    "size-too-large": (RETURN, Reason.WRONG_SIZE),
    "unwanted": (RETURN, Reason.CHANGED_MIND),
    "style": (RETURN, Reason.CHANGED_MIND),
    "color": (RETURN, Reason.CHANGED_MIND),
    "other": (RETURN, Reason.OTHER),
    "unknown": (RETURN, Reason.OTHER),
    # ReturnReasonDefinition handles (2026-01 and later)
    "damaged-or-defective": (CLAIM, Reason.DEFECTIVE),
    "item-not-as-described": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "received-the-wrong-item": (CLAIM, Reason.WRONG_ITEM),
    "inscription": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "condition": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "too-small": (RETURN, Reason.WRONG_SIZE),
    "too-big": (RETURN, Reason.WRONG_SIZE),
    "changed-my-mind": (RETURN, Reason.CHANGED_MIND),
    "other-reason": (RETURN, Reason.OTHER),
    **{handle: (RETURN, Reason.WRONG_SIZE) for handle in (
        "too-tight", "too-loose", "too-long", "too-short", "size", "fit", "length", "band-too-big", "band-too-small",
    )},
}

UNLISTED = (RETURN, Reason.OTHER)


def reason_key(value: str) -> str:
    """"SIZE_TOO_SMALL", "size_too_small" and "size-too-small" are one key."""
    return value.strip().lower().replace("_", "-")


def kind_and_reason(value: str | None) -> tuple[Kind, Reason]:
    return REASONS.get(reason_key(value), UNLISTED) if value else UNLISTED


def request_kind_and_reason(per_line: list[tuple[Kind, Reason]]) -> tuple[Kind, Reason]:
    """One request, one kind: a claim if any line reports a fault, with that line's reason; else the first line's."""
    return next((pair for pair in per_line if pair[0] is CLAIM), per_line[0] if per_line else UNLISTED)
