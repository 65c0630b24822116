"""The customer-facing policy text: made from the clauses the engine enforces, each preset's text checked
against the facts of its seed store (../shared/seeds/): windows, exclusions, who pays shipping."""

from __future__ import annotations

import dataclasses

import pytest

from policies.policy import Unit, Window
from policies.presets import preset, preset_names
from policies.published_text import policy_markdown, policy_text

HEADINGS = ["Cancellation", "Returns", "Exclusions", "Damage and defects", "Warranty", "Refunds", "Response times"]

# Each seed's facts, as sentences its published text must contain (the seed's own words in the comment).
SEED_FACTS: dict[str, list[str]] = {
    "pristine-crystals": [
        "within 24 hours of placing your order",  # "Orders may be cancelled within 24 hours of placement."
        "You can return items within 14 days of receiving your order.",  # 14-day returns
        "Sale items are non-returnable.",  # sale items final
        "Gift cards are non-returnable.",
        "Customized or personalized items can't be returned.",
        "Items must be unused, with their tags and in their original packaging.",
        "otherwise you do.",  # the customer pays return shipping for a change of mind
    ],
    "kestia": [
        "You can return items within 30 days of receiving your order.",
        "within 14 business days of receiving your order",  # "14 working days of receipt of their product"
        "Engraved items can't be returned or refunded unless they are defective or faulty.",
        "earrings",  # hygiene
        "International shipping costs are not refunded.",
        "within 12 months of placing your order",  # the 12-month warranty
    ],
    "pandorana": [
        "Every request: we reply within 24 business hours.",
        "Claims: we resolve it within 3 business days.",
        "we will do our best",
    ],
    "passione-kustom": [
        "We don't accept returns for a change of mind.",
        "within 48 hours of receiving your order",  # damage reported within 48 hours
        "Please include 1 photo of the problem.",
    ],
    "five-elements-link": [
        "We don't accept returns for a change of mind.",
        "within 7 days of receiving your order",
        "If it arrived damaged, please include 2 photos.",
        "Claims: we reply within 3 business days.",
    ],
}


def test_every_preset_has_its_seeds_facts_checked() -> None:
    assert set(SEED_FACTS) == set(preset_names())


@pytest.mark.parametrize("name", sorted(SEED_FACTS))
def test_a_presets_text_states_its_seeds_facts_under_every_heading(name: str) -> None:
    policy = preset(name)
    assert policy is not None
    assert [section.heading for section in policy_text(policy)] == HEADINGS
    text = policy_markdown(policy)
    for fact in SEED_FACTS[name]:
        assert fact in text, f"{name}: {fact!r} not in\n{text}"
    assert all(section.paragraphs for section in policy_text(policy))


def test_the_text_follows_the_clause_it_is_made_from() -> None:
    policy = preset("pristine-crystals")
    assert policy is not None
    longer = dataclasses.replace(policy, returns=dataclasses.replace(
        policy.returns, window=Window(30, Unit.DAYS, policy.returns.window.start)))  # type: ignore[union-attr]
    assert "within 30 days of receiving your order" in policy_markdown(longer)
    assert "within 14 days" not in policy_markdown(longer).split("## Exclusions")[0]
    no_returns = dataclasses.replace(policy, returns=dataclasses.replace(policy.returns, accepted=False))
    assert "We don't accept returns for a change of mind." in policy_markdown(no_returns)
