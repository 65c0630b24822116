"""Lines a policy will not take back: sale items, gift cards, personalized, made to order, listed."""

from __future__ import annotations

from policies.case import Line
from policies.context import Context
from policies.decision import Finding
from policies.policy import Exclusion, ExclusionKind, Outcome

_MESSAGES = {
    ExclusionKind.SALE: "Sale items can't be returned.",
    ExclusionKind.DISCOUNTED: "Discounted items can't be returned.",
    ExclusionKind.GIFT_CARD: "Gift cards can't be returned.",
    ExclusionKind.PERSONALIZED: "Personalized items can't be returned.",
    ExclusionKind.MADE_TO_ORDER: "Items made to order can't be returned.",
    ExclusionKind.LISTED: "This item can't be returned.",
}


def is_personalized(line: Line, property_names: tuple[str, ...]) -> bool:
    """A customization field the policy names (case-folded) holds a value: "Engraving ($10.00)" counts."""
    for key, value in line.properties.items():
        if key.startswith("_") or value in (None, "", [], {}):
            continue  # Shopify hides internal properties behind a leading underscore
        folded = key.casefold()
        if any(folded.startswith(name) for name in property_names):
            return True
    return False


def _is_listed(line: Line, exclusion: Exclusion) -> bool:
    if line.product_type is not None and line.product_type.casefold() in exclusion.folded_types:
        return True
    if line.sku is not None and line.sku.casefold() in exclusion.folded_skus:
        return True
    return any(tag.casefold() in exclusion.folded_tags for tag in line.tags)


def excludes(exclusion: Exclusion, line: Line) -> bool:
    kind = exclusion.kind
    if kind is ExclusionKind.SALE and line.on_sale:
        return True
    if kind is ExclusionKind.DISCOUNTED and line.discount > 0:
        return True
    if kind is ExclusionKind.GIFT_CARD and line.gift_card:
        return True
    if kind is ExclusionKind.PERSONALIZED and is_personalized(line, exclusion.folded_properties):
        return True
    return _is_listed(line, exclusion)


def check_exclusions(ctx: Context, faulty: bool) -> list[Finding]:
    """final_sale for each excluded line; "unless faulty" exclusions step aside for a fault."""
    findings = []
    for exclusion in ctx.policy.exclusions:
        if faulty and exclusion.unless_faulty:
            continue
        hit = tuple(asked.id for asked in ctx.lines if excludes(exclusion, asked.line))
        if hit:
            message = exclusion.message or _MESSAGES[exclusion.kind]
            findings.append(Finding("final_sale", message, Outcome.DECLINE, hit))
    return findings
