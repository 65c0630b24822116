"""The public scenarios' first facts, so a broken engine fails fast here too."""

from support.cases import case, codes, decision


def test_a_change_of_mind_return_inside_the_window_is_approved_with_the_item_price() -> None:
    made = decision(case("pristine-crystals"))
    assert made["outcome"] == "approve"
    assert made["refund"]["total"] == "49.00"
    assert codes(made) == {"within_policy"}
