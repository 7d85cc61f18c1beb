"""A REPEAT or CANCEL after an OPEN that never reached the room says so; so does a CANCEL
that no sample made (the window's state was lost)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devtools.fakes.hipchat import Reply
from notifications.channels.hipchat.transport import NOTIFICATION_LIMIT
from notifications.delivery.lost_open import STATE_LOST_NOTE, with_note
from rules.contract.triggers import REASON_STATE_LOST
from rules.events import SERIES, Event
from tests.unit.delivery.factories import (
    RULE,
    L,
    at,
    binding,
    deliver,
    engine_run,
    hipchat_endpoint,
    texts,
)

pytestmark = pytest.mark.django_db

BAD_COLOUR = {"error": {"code": 400, "type": "Bad Request", "message": "Bad colour"}}
NOTE = "Note: the OPEN notification of this alert was not delivered"


def test_a_cancel_after_a_failed_open_carries_a_note_with_the_reason(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.script(Reply(status=400, body=BAD_COLOUR))
    run = engine_run()
    [opened] = deliver(run.series(55, at(0)))
    deliver(run.series(60, at(1)))
    deliver(run.series(20, at(2)))

    assert opened.status == "FAILED"
    repeat, cancel = texts(hipchat_fake)
    why = f"{NOTE} (HipChat error: HTTP 400: Bad colour)."
    assert repeat == f"[REPEAT] {RULE} for br-1905 {{}}. Duration: 1m:0s. {L}\n{why}"
    assert cancel == f"[CANCEL] {RULE} for br-1905 {{}}. Duration: 2m:0s. {L}\n{why}"


def test_the_note_is_escaped_in_html(hipchat_fake):
    hipchat_endpoint(hipchat_fake, message_format="html")
    binding(open_params={"message": "x"}, cancel_params={"message": "<b>gone</b>"})
    hipchat_fake.script(Reply(status=400, body={"error": {"code": 400, "message": "a < b"}}))
    run = engine_run()
    deliver(run.series(55, at(0)))
    deliver(run.series(20, at(1)))

    [cancel] = texts(hipchat_fake)
    assert cancel == f"<b>gone</b><br>{NOTE} (HipChat error: HTTP 400: a &lt; b)."


def test_no_note_after_a_delivered_open_or_in_the_next_episode(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "open"}, cancel_params={"message": "cancel"})
    hipchat_fake.script(Reply(status=400, body=BAD_COLOUR))
    run = engine_run(window="length(1)")
    deliver(run.series(55, at(0)))  # OPEN lost
    deliver(run.series(20, at(1)))  # CANCEL with the note
    deliver(run.series(55, at(2)))  # the next episode's OPEN arrives
    deliver(run.series(20, at(3)))

    assert [t.split("\n")[0] for t in texts(hipchat_fake)] == ["cancel", "open", "cancel"]
    assert [NOTE in t for t in texts(hipchat_fake)] == [True, False, False]


def test_no_note_after_an_open_cancelled_on_purpose(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "${cancelAction()}"}, cancel_params={"message": "cancel"})
    run = engine_run()
    deliver(run.series(55, at(0)))
    deliver(run.series(20, at(1)))

    assert texts(hipchat_fake) == ["cancel"]


def test_the_note_survives_cutting_a_long_message():
    noted = with_note("x" * 20_000, f"{NOTE} (given up).", "text", NOTIFICATION_LIMIT)

    assert len(noted) == NOTIFICATION_LIMIT
    assert noted.endswith(f"...\n{NOTE} (given up).")


def test_a_cancel_of_a_lost_window_says_no_sample_cancelled_it(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding(open_params={"message": "open"}, cancel_params={"message": "cancel"})
    run = engine_run()
    deliver(run.series(55, at(0)))
    low = Event(SERIES, "br-1905", "temperature", {}, at(1), at(1), 20.0)
    [cancel] = run.engine.process(low, at(1))
    deliver(run.store([replace(cancel, reason=REASON_STATE_LOST)]))

    assert texts(hipchat_fake) == ["open", f"cancel\n{STATE_LOST_NOTE}"]
