"""The fake Teams Workflows webhook enforces what a post must be.

Raw HTTP with ``requests`` (not the product client): each rule is one test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from devtools.fakes.teams import TeamsFake

CARD: dict[str, Any] = {
    "type": "message",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [{"type": "TextBlock", "text": "disk low"}],
                "actions": [{"type": "Action.OpenUrl", "title": "Rule", "url": "https://x"}],
            },
        }
    ],
}


@pytest.fixture
def url(teams_fake: TeamsFake) -> str:
    return teams_fake.add_workflow("alerts")


def test_a_card_is_accepted_with_202_and_lands_in_the_channel(teams_fake, url):
    answer = requests.post(url, json=CARD, timeout=5)
    assert (answer.status_code, answer.content) == (202, b"")
    assert teams_fake.cards("alerts") == [CARD["attachments"][0]["content"]]


def test_an_unknown_workflow_is_404_and_a_bad_signature_401(teams_fake, url):
    assert (
        requests.post(url.replace("/workflows/", "/workflows/0"), json=CARD, timeout=5).status_code
        == 404
    )
    unsigned = requests.post(url.split("&sig=")[0], json=CARD, timeout=5)
    assert unsigned.json()["error"]["code"] == "DirectApiAuthorizationRequired"
    wrong = requests.post(url + "x", json=CARD, timeout=5)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (
        401, "DirectApiInvalidAuthorizationSignature",
    )  # fmt: skip
    assert teams_fake.cards("alerts") == []


def _broken(change) -> dict[str, Any]:
    message = copy.deepcopy(CARD)
    change(message)
    return message


@pytest.mark.parametrize(
    "message",
    [
        _broken(lambda m: m.update(type="card")),
        _broken(lambda m: m["attachments"][0].update(contentType="text/plain")),
        _broken(lambda m: m["attachments"][0]["content"].update(version="2.0")),
        _broken(lambda m: m["attachments"][0]["content"].update(body=[])),
        _broken(lambda m: m["attachments"][0]["content"]["body"].append({"type": "Marquee"})),
        _broken(lambda m: m["attachments"][0]["content"]["body"].append({"type": "TextBlock"})),
        _broken(lambda m: m["attachments"][0]["content"]["actions"][0].update(url="ftp://x")),
    ],
)
def test_a_message_that_is_not_a_renderable_card_is_400(teams_fake, url, message):
    answer = requests.post(url, json=message, timeout=5)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "InvalidTemplate")


def test_not_json_is_415_and_over_28_kb_is_413(teams_fake, url):
    assert requests.post(url, data=b"x", timeout=5).status_code == 415
    big = _broken(lambda m: m["attachments"][0]["content"]["body"][0].update(text="x" * 29_000))
    assert requests.post(url, json=big, timeout=5).status_code == 413


def test_over_the_limit_it_answers_429_with_retry_after(teams_fake, url):
    teams_fake.limit_posts(1, per_s=30)
    answers = [requests.post(url, json=CARD, timeout=5) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 429]
    assert 1 <= int(answers[1].headers["Retry-After"]) <= 30
    assert len(teams_fake.cards("alerts")) == 1
