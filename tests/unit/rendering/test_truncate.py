"""Messages cut to a service's limit: visibly, and HTML kept valid."""

import re

import pytest

from notifications.rendering.truncate import cut_html, cut_text

LIMIT = 10_000


def test_a_text_that_fits_is_left_alone_and_a_longer_one_ends_with_the_marker():
    assert cut_text("abc", 3) == "abc"
    assert cut_text("abcdef", 5) == "ab..."


@pytest.mark.parametrize("position", range(9985, 10003))
def test_it_never_cuts_html_inside_a_tag_or_entity_at_any_boundary(position: int) -> None:
    message = "x" * position + "<i>a &amp; b</i>" + "y" * 200

    cut = cut_html(message, LIMIT)

    assert len(cut) <= LIMIT
    body = cut.partition("...")[0]
    assert body.count("<") == body.count(">")
    assert re.search(r"&[#A-Za-z0-9]*$", body) is None
    if "<i>" in body and "</i>" not in body:
        assert cut.endswith("...</i>")
