"""Exclusions are recognised as a person reading the order would: by words, in the customer's and store's wordings."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError
from support.cases import case, decision, line

from policies.fields import flatten_errors
from policies.policy import Exclusion, ExclusionKind
from policies.policy_schema import MAX_WORDS, dump_policy, load_policy
from policies.rules.exclusions import filled_in
from policies.words import Vocabulary, stems

POLICY = {"key": "mine", "name": "Mine", "returns": {"accepted": True}}


@pytest.mark.parametrize(("text", "expected"), [
    ("Your engraving", ("your", "engrav")),
    ("made_to_order", ("mad", "to", "order")),
    ("Made-To-Order", ("mad", "to", "order")),
    ("madeToOrder", ("mad", "to", "order")),
    ("Special/Order: Item", ("special", "order", "item")),
    ("EARRINGS", ("earring",)),
    ("Personalisation", ("personaliz",)),
    ("personalized", ("personaliz",)),
    ("Customising", ("customiz",)),
    ("Monogrammed", ("monogram",)),
    ("Engraving ($10.00)", ("engrav", "10", "00")),
    ("Gravur für Ava", ("gravur", "für", "ava")),
])
def test_a_text_is_read_as_words_split_on_separators_and_humps_and_stemmed(text: str,
                                                                           expected: tuple[str, ...]) -> None:
    assert stems(text) == expected


# Whole words only, in the ways stores write them; never inside an unrelated word.
@pytest.mark.parametrize(("phrase", "text", "found"), [
    ("engraved", "Your engraving", True),
    ("engraved", "Engravings", True),
    ("engraved", "Engraver's mark", False),
    ("personalised", "Personalization note", True),
    ("personalized", "Personalisation", True),
    ("personalised", "Personal shopper", False),
    ("customised", "Customized", True),
    ("custom", "Customer note", False),
    ("earrings", "Drop Earrings", True),
    ("earrings", "earring", True),
    ("earrings", "Ear rings", True),
    ("earrings", "Hearring", False),
    ("earrings", "Ear cuff", False),
    ("made to order", "made_to_order", True),
    ("made to order", "Made-To-Order", True),
    ("made to order", "MadeToOrder", True),
    ("made to order", "madetoorder", True),
    ("made to order", "Ready made", False),
    ("special order", "Special Order Item", True),
    ("special order", "Special offers", False),
    ("gift card", "Gift Cards", True),
    ("gift card", "gift-card", True),
    ("gift card", "giftcard", True),
    ("gift card", "eGiftCard", True),
    ("gift card", "Gift box", False),
    ("name", "Name", True),
    ("name", "Names", True),
    ("name", "username", False),
    ("name", "Nameplate", False),
    ("monogram", "Monogrammed initials", True),
    ("sale", "Wholesale", False),
    ("sale", "Final sale", True),
])
def test_a_phrase_is_found_as_whole_words_in_any_case_spelling_and_separator(phrase: str, text: str,
                                                                             found: bool) -> None:
    assert Vocabulary([phrase]).in_text(text) is found


def test_the_words_that_matched_are_quoted_as_written() -> None:
    vocabulary = Vocabulary(["engraved", "made to order"])
    assert vocabulary.quote("Hand Engraved heart locket") == "Engraved"
    assert vocabulary.quote("Made-To-Order signet") == "Made To Order"
    assert vocabulary.quote("Plain locket") is None


ENGRAVING = Vocabulary(["engraved"])


# A customization field counts when the customer filled it in: a blank field left on the form, or a "No" to
# "Add engraving?", does not make a line personalised; anything they wrote, even a symbol, does.
@pytest.mark.parametrize(("value", "counts"), [
    ("A+B", True),
    ("♥", True),
    ("No regrets", True),
    ("Nora", True),
    ("Yes", True),
    (True, True),
    (["A", "B"], True),
    ("", False),
    ("   ", False),
    (None, False),
    (False, False),
    (0, False),
    ([], False),
    ({"line1": ""}, False),
    ("No", False),
    ("none", False),
    ("N/A", False),
    ("-", False),
    ("false", False),
    ("No thanks", False),
    ("No, thank you.", False),
    ("No engraving", False),
    ("Without engraving, please", False),
])
def test_a_customization_field_counts_only_when_filled_in(value: Any, counts: bool) -> None:
    assert filled_in(value, ENGRAVING) is counts


def with_exclusion(exclusion: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A change-of-mind return of one line under a store with this one exclusion."""
    return decision(case(policy={**POLICY, "exclusions": [exclusion]},
                         order={"lines": [line(**{"title": "Ring", **fields})]}))


# The reason names the text that matched, where on the line it is, appended to the exclusion's own message.
@pytest.mark.parametrize(("fields", "said"), [
    ({"properties": {"Your engraving": "A+B"}}, 'has the property "Your engraving"'),
    ({"product_type": "Personalised Rings"}, 'has the product type "Personalised Rings"'),
    ({"tags": ["summer", "engraved-gifts"]}, 'has the tag "engraved-gifts"'),
])
def test_the_reason_says_which_text_on_the_line_matched(fields: dict[str, Any], said: str) -> None:
    made = with_exclusion({"kind": "personalized", "message": "Personalised items are final."}, **fields)
    assert made["outcome"] == "decline"
    assert [(r["code"], r["message"]) for r in made["reasons"]] == [
        ("final_sale", f'Personalised items are final. Line "Ring" {said}.')]


def test_what_a_line_is_by_nature_keeps_the_exclusions_message_alone() -> None:
    made = with_exclusion({"kind": "gift_card"}, gift_card=True)
    assert [(r["code"], r["message"]) for r in made["reasons"]] == [("final_sale", "Gift cards can't be returned.")]


def test_a_title_alone_sends_the_line_to_a_person_saying_why() -> None:
    made = with_exclusion({"kind": "personalized"}, title="Engraved heart locket")
    assert made["outcome"] == "review"
    assert [(r["code"], r["message"]) for r in made["reasons"]] == [
        ("needs_review", 'Line "Engraved heart locket": its title says "Engraved", so a member of our team will check '
                         "whether this applies: Personalized items can't be returned.")]


def test_what_the_order_states_outweighs_a_suggestive_title() -> None:
    made = with_exclusion({"kind": "personalized"}, title="Engraved heart locket", properties={"Engraving": "A"})
    assert [r["code"] for r in made["reasons"]] == ["final_sale"]


# A merchant adds the store's own wordings to a kind's common ones (which stay), for any kind of exclusion.
@pytest.mark.parametrize(("exclusion", "fields", "outcome"), [
    ({"kind": "personalized", "words": ["birthstone"]}, {"properties": {"Birthstone": "May"}}, "decline"),
    ({"kind": "personalized", "words": ["birthstone"]}, {"properties": {"Engraving": "A"}}, "decline"),
    ({"kind": "sale", "words": ["clearance"]}, {"tags": ["Clearance"]}, "decline"),
    ({"kind": "listed", "words": ["body jewellery"]}, {"product_type": "Body Jewelry"}, "decline"),
    ({"kind": "listed", "words": ["body jewellery"]}, {"product_type": "Jewelry box"}, "approve"),
])
def test_a_merchant_adds_words_to_an_exclusion(exclusion: dict[str, Any], fields: dict[str, Any],
                                               outcome: str) -> None:
    assert with_exclusion(exclusion, **fields)["outcome"] == outcome


# Documents saved before words existed keep working: their lists are words where they apply, SKUs exact.
@pytest.mark.parametrize(("exclusion", "fields", "outcome"), [
    ({"kind": "listed", "product_types": ["Earrings"]}, {"product_type": "Drop Earrings"}, "decline"),
    ({"kind": "listed", "product_types": ["Earrings"]}, {"tags": ["earrings"]}, "approve"),
    ({"kind": "listed", "product_types": ["Earrings"]}, {"title": "Pearl earrings"}, "review"),
    ({"kind": "listed", "tags": ["special-order"]}, {"tags": ["Special Order"]}, "decline"),
    ({"kind": "personalized", "properties": ["Inscription"]}, {"properties": {"Your inscription": "A"}}, "decline"),
    ({"kind": "listed", "skus": ["GC-50"]}, {"sku": "gc-50"}, "decline"),
    ({"kind": "listed", "skus": ["GC-50"]}, {"sku": "GC-500"}, "approve"),
])
def test_the_lists_of_documents_already_saved_are_matched_where_they_apply(exclusion: dict[str, Any],
                                                                            fields: dict[str, Any],
                                                                            outcome: str) -> None:
    assert with_exclusion(exclusion, **fields)["outcome"] == outcome


# "unless_faulty" keeps its meaning: a fault lifts the exclusion, title or not; one that is not lifted still applies.
@pytest.mark.parametrize(("unless_faulty", "fields", "outcome"), [
    (True, {"properties": {"Engraving": "A"}}, "approve"),
    (True, {"title": "Engraved heart locket"}, "approve"),
    (False, {"properties": {"Engraving": "A"}}, "decline"),
    (False, {"title": "Engraved heart locket"}, "review"),
])
def test_a_fault_lifts_only_the_exclusions_that_say_unless_faulty(unless_faulty: bool, fields: dict[str, Any],
                                                                   outcome: str) -> None:
    policy = {**POLICY, "exclusions": [{"kind": "personalized", "unless_faulty": unless_faulty}],
              "claims": {"reasons": {"defective": "approve"}}}
    made = decision(case(policy=policy, order={"lines": [line(**fields)]},
                         request={"kind": "claim", "reason": "defective"}))
    assert made["outcome"] == outcome


def policy_errors(exclusion: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_policy({**POLICY, "exclusions": [exclusion]})
    return flatten_errors(raised.value.messages)


@pytest.mark.parametrize(("words", "error"), [
    (["monogram", "  "], "exclusions.0.words.1: must be a word or phrase, got '  '"),
    (["--"], "exclusions.0.words.0: must contain a letter or digit to match, got '--'"),
    (["x" * 61], f"exclusions.0.words.0: must be at most 60 characters long, got '{'x' * 61}'"),
    ([7], "exclusions.0.words.0: must be a string"),
    ("monogram", "exclusions.0.words: must be a list"),
    ([f"word{n}" for n in range(MAX_WORDS + 1)],
     f"exclusions.0.words: must list at most {MAX_WORDS} words or phrases, got {MAX_WORDS + 1}"),
])
def test_each_rule_of_an_exclusions_words_is_named_with_its_setting_and_value(words: Any, error: str) -> None:
    assert policy_errors({"kind": "personalized", "words": words}) == [error]


def test_a_listed_exclusion_may_name_only_words() -> None:
    loaded = load_policy({**POLICY, "exclusions": [{"kind": "listed", "words": ["earrings"]}]})
    assert loaded.exclusions == (Exclusion(ExclusionKind.LISTED, words=("earrings",)),)
    assert load_policy(dump_policy(loaded)) == loaded
