"""Lines a policy will not take back (sale items, gift cards, personalized, made to order, listed), by what a line is
or what it says (policies/words.py); where only its title names them, a person checks rather than a guess."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from policies.case import Line
from policies.context import Context
from policies.decision import Finding
from policies.policy import Exclusion, ExclusionKind, Outcome
from policies.words import Vocabulary, stems

_MESSAGES = {
    ExclusionKind.SALE: "Sale items can't be returned.",
    ExclusionKind.DISCOUNTED: "Discounted items can't be returned.",
    ExclusionKind.GIFT_CARD: "Gift cards can't be returned.",
    ExclusionKind.PERSONALIZED: "Personalized items can't be returned.",
    ExclusionKind.MADE_TO_ORDER: "Items made to order can't be returned.",
    ExclusionKind.LISTED: "This item can't be returned.",
}
# What a customer leaves in a customization field to say "none": an "Add engraving?" answered "No".
_DECLINED = frozenset({"no", "none", "n/a", "na", "nil", "null", "-", "--", "false", "0", "off", "no thanks",
                       "not required", "not needed", "not applicable"})
_REFUSING = frozenset({"no", "non", "without"})  # stems: "None" reads "non"
_POLITE = frozenset({"thank", "you", "pleas"})


class Hit(NamedTuple):
    """Why a line is excluded: `said` names the text that matched ("" for a sale price or the flag)."""

    firm: bool  # False: only the title names it, so a person checks
    said: str


def filled_in(value: Any, vocabulary: Vocabulary) -> bool:
    """The customer put something in the field: not blank, nor "No", "None", "N/A" or "No engraving"."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float | Decimal):
        return value != 0
    if isinstance(value, dict):
        return any(filled_in(inner, vocabulary) for inner in value.values())
    if isinstance(value, list | tuple):
        return any(filled_in(inner, vocabulary) for inner in value)
    text = str(value).strip()
    if text.casefold().rstrip(".!") in _DECLINED:
        return False
    said = stems(text)
    if said and said[0] in _REFUSING:
        rest = said[1:]
        if all(word in _POLITE for word in rest) or vocabulary.span(rest) is not None:
            return False
    return bool(text)


def _by_nature(exclusion: Exclusion, line: Line) -> bool:
    kind = exclusion.kind
    return ((kind is ExclusionKind.SALE and line.on_sale)
            or (kind is ExclusionKind.DISCOUNTED and line.discount > 0)
            or (kind is ExclusionKind.GIFT_CARD and line.gift_card))


def find(exclusion: Exclusion, line: Line) -> Hit | None:
    """What on the line names the exclusion, firmest first; None where nothing does."""
    if _by_nature(exclusion, line):
        return Hit(True, "")
    on_properties = exclusion.on_properties
    for key, value in line.properties.items():
        # Shopify hides bookkeeping properties behind a leading underscore; only names are read, since
        # a value is the customer's own text ("no engraving please" is not an engraving).
        if not key.startswith("_") and on_properties.in_text(key) and filled_in(value, on_properties):
            return Hit(True, f'has the property "{key}"')
    product_type = line.product_type
    if product_type and exclusion.on_types.in_text(product_type):
        return Hit(True, f'has the product type "{product_type}"')
    for tag in line.tags:
        if exclusion.on_tags.in_text(tag):
            return Hit(True, f'has the tag "{tag}"')
    if line.sku is not None and line.sku.casefold() in exclusion.folded_skus:
        return Hit(True, f'has the SKU "{line.sku}"')
    quoted = exclusion.in_titles.quote(line.title) if exclusion.in_titles.in_text(line.title) else None
    return None if quoted is None else Hit(False, quoted)


def _label(line: Line) -> str:
    return f'"{line.title}"' if line.title.strip() else line.id


def check_exclusions(ctx: Context, faulty: bool) -> list[Finding]:
    """final_sale for each excluded line, saying what matched; "unless faulty" exclusions step aside for a fault."""
    findings = []
    for exclusion in ctx.policy.exclusions:
        if faulty and exclusion.unless_faulty:
            continue
        message = exclusion.message or _MESSAGES[exclusion.kind]
        by_nature: list[str] = []
        said: list[Finding] = []
        for asked in ctx.lines:
            hit = find(exclusion, asked.line)
            if hit is None:
                continue
            if not hit.firm:
                review = (f"Line {_label(asked.line)}: its title says \"{hit.said}\", so a member of our team will "
                          f"check whether this applies: {message}")
                said.append(Finding("needs_review", review, Outcome.REVIEW, (asked.id,)))
            elif hit.said:
                said.append(Finding("final_sale", f"{message} Line {_label(asked.line)} {hit.said}.", Outcome.DECLINE,
                                    (asked.id,)))
            else:
                by_nature.append(asked.id)
        if by_nature:
            findings.append(Finding("final_sale", message, Outcome.DECLINE, tuple(by_nature)))
        findings.extend(said)
    return findings
