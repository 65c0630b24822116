"""The text a store publishes (English), each sentence made from one setting of the policy, so what a customer reads
is what the engine applies."""

from __future__ import annotations

from dataclasses import dataclass

from policies.case import Reason
from policies.policy import (
    AfterFulfilment,
    Anchor,
    Exclusion,
    ExclusionKind,
    Outcome,
    Period,
    Policy,
    Promise,
    ReturnShipping,
    ShippingRefund,
    Unit,
    Window,
)

_UNIT = {Unit.HOURS: ("hour", "hours"), Unit.DAYS: ("day", "days"), Unit.BUSINESS_HOURS: ("business hour",
         "business hours"), Unit.BUSINESS_DAYS: ("business day", "business days"), Unit.MONTHS: ("month", "months")}
_FROM = {Anchor.PLACEMENT: "of placing your order", Anchor.FULFILMENT: "of your order being shipped",
         Anchor.DELIVERY: "of receiving your order", Anchor.REQUEST: "of your request"}
_REASON = {Reason.DAMAGED_IN_TRANSIT: "arrived damaged", Reason.DEFECTIVE: "is defective",
           Reason.WRONG_ITEM: "is not what you ordered", Reason.NOT_AS_DESCRIBED: "is not as described",
           Reason.CHANGED_MIND: "is no longer wanted", Reason.WRONG_SIZE: "is the wrong size",
           Reason.OTHER: "has another problem"}
_HANDLING = {Outcome.APPROVE: "we will put it right", Outcome.REVIEW: "we will look at it and get back to you",
             Outcome.DECLINE: "we can't accept a claim"}
_EXCLUDED = {ExclusionKind.SALE: "Sale items", ExclusionKind.DISCOUNTED: "Discounted items",
             ExclusionKind.GIFT_CARD: "Gift cards", ExclusionKind.PERSONALIZED: "Personalised or engraved items",
             ExclusionKind.MADE_TO_ORDER: "Made-to-order items", ExclusionKind.LISTED: "Some items"}


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


def period(value: Period) -> str:
    one, many = _UNIT[value.unit]
    return f"{value.length} {one if value.length == 1 else many}"


def window(value: Window) -> str:
    """'within 30 days of receiving your order'."""
    return f"within {period(value.period)} {_FROM[value.start]}"


def _cancellation(policy: Policy) -> tuple[str, ...]:
    rule = policy.cancellation
    if rule is None:
        return ("Please contact us if you want to cancel an order; we decide each request individually.",)
    when = f" {window(rule.window)}" if rule.window else ""
    if rule.outcome is Outcome.APPROVE:
        said = [f"You can cancel your order{when} for a full refund."]
    elif rule.outcome is Outcome.REVIEW:
        said = [f"You can ask us to cancel your order{when}; we will do our best and confirm with you."]
    else:
        said = ["Orders can't be cancelled once placed."]
    if rule.until_fulfilment:
        if rule.after_fulfilment is AfterFulfilment.DECLINE:
            said.append("Once your order has shipped it can no longer be cancelled.")
        elif rule.after_fulfilment is AfterFulfilment.REVIEW:
            said.append("Once your order has shipped we can't guarantee a cancellation, but we will try.")
        elif rule.statutory_window is not None:
            said.append(f"After it has shipped you may still cancel {window(rule.statutory_window)} and send it "
                        f"back for a refund, under the conditions for returns below.")
    return tuple(said)


def _returns(policy: Policy) -> tuple[str, ...]:
    rule = policy.returns
    if not rule.accepted:
        return ("We don't accept returns for a change of mind.",)
    when = f" {window(rule.window)}" if rule.window else ""
    said = [f"You can return items{when}." if rule.outcome is not Outcome.REVIEW
            else f"You can ask to return items{when}; we decide each return once we have inspected it."]
    needs = [text for wanted, text in ((rule.condition.unused, "unused"), (rule.condition.tags, "with their tags"),
                                       (rule.condition.original_packaging, "in their original packaging"),
                                       (rule.condition.receipt, "with proof of purchase")) if wanted]
    if needs:
        said.append("Items must be " + _join(needs) + ".")
    return tuple(said)


def _exclusion(rule: Exclusion) -> str:
    if rule.message:
        return rule.message
    what = _EXCLUDED[rule.kind]
    listed = ", ".join(rule.words + rule.product_types + rule.tags)
    if rule.kind is ExclusionKind.LISTED and listed:
        what = f"Items such as {listed}"
    unless = " unless they are faulty" if rule.unless_faulty else ""
    return f"{what} can't be returned{unless}."


def _claims(policy: Policy) -> tuple[str, ...]:
    rule = policy.claims
    if rule is None:
        return ("If something is wrong with your order, contact us and we will decide what to do.",)
    when = f" {window(rule.window)}" if rule.window else ""
    said = [f"If your order {_REASON[reason]}, tell us{when} and {_HANDLING[outcome]}."
            for reason, outcome in rule.reasons.items()]
    photos = rule.photos_required
    if photos:
        said.append(f"Please include {photos} photo{'s' if photos > 1 else ''} of the problem.")
    for reason, count in rule.photos_by_reason.items():
        if count:
            said.append(f"If it {_REASON[reason]}, please include {count} photo{'s' if count > 1 else ''}.")
    return tuple(said)


def _warranty(policy: Policy) -> tuple[str, ...]:
    rule = policy.warranty
    if rule is None:
        return ("We offer no warranty beyond your statutory rights.",)
    return (f"Faults that appear later are covered {window(rule.window)}; {_HANDLING[rule.outcome]}.",)


def _refunds(policy: Policy) -> tuple[str, ...]:
    rule = policy.refunds
    shipping = {ShippingRefund.ALWAYS: "Original shipping costs are refunded.",
                ShippingRefund.IF_FAULTY: "Original shipping costs are refunded only if the item is faulty or wrong.",
                ShippingRefund.NEVER: "Original shipping costs are not refunded."}[rule.original_shipping]
    said = ["Refunds go back to the original payment method.", shipping]
    if not rule.international_shipping_refunded and rule.original_shipping is not ShippingRefund.NEVER:
        said.append("International shipping costs are not refunded.")
    said.append({ReturnShipping.CUSTOMER: "You pay the cost of sending items back.",
                 ReturnShipping.MERCHANT: "We pay the cost of sending items back.",
                 ReturnShipping.MERCHANT_IF_FAULTY: "We pay the cost of sending items back if they are faulty or "
                                                    "wrong; otherwise you do."}[rule.return_shipping])
    if rule.return_label_fee:
        said.append(f"If you use our return label, {rule.return_label_fee} is deducted from your refund.")
    if rule.restocking_fee_percent:
        said.append(f"A restocking fee of {rule.restocking_fee_percent}% is deducted from change-of-mind refunds.")
    return tuple(said)


def _promise(name: str, promise: Promise | None) -> list[str]:
    if promise is None:
        return []
    said = []
    if promise.respond_within is not None:
        said.append(f"{name}: we reply within {period(promise.respond_within)}.")
    if promise.resolve_within is not None:
        said.append(f"{name}: we resolve it within {period(promise.resolve_within)}.")
    return said


def _response_times(policy: Policy) -> tuple[str, ...]:
    said = _promise("Every request", policy.promise)
    for name, clause in (("Cancellations", policy.cancellation), ("Returns", policy.returns),
                         ("Claims", policy.claims), ("Warranty claims", policy.warranty)):
        said += _promise(name, getattr(clause, "promise", None) if clause is not None else None)
    return tuple(said) or ("We reply to every request as soon as we can.",)


def policy_text(policy: Policy) -> tuple[Section, ...]:
    """The published policy, section by section."""
    exclusions = tuple(_exclusion(rule) for rule in policy.exclusions) or ("No items are excluded from returns.",)
    return (
        Section("Cancellation", _cancellation(policy)),
        Section("Returns", _returns(policy)),
        Section("Exclusions", exclusions),
        Section("Damage and defects", _claims(policy)),
        Section("Warranty", _warranty(policy)),
        Section("Refunds", _refunds(policy)),
        Section("Response times", _response_times(policy)),
    )


def policy_markdown(policy: Policy) -> str:
    parts = [f"# {policy.name}: cancellations, returns and refunds"]
    for section in policy_text(policy):
        parts.append(f"## {section.heading}\n\n" + "\n\n".join(section.paragraphs))
    return "\n\n".join(parts) + "\n"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
