"""Storm digests: what folds, in which order the folded and the later messages leave,
and what the digest says and attaches."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fakes.hipchat import Reply
from notifications.delivery import process_order_key
from notifications.delivery.digest import (
    Member,
    Waiting,
    foldable,
    list_table,
    members_of,
    summary_counts,
    summary_text,
)
from notifications.models import Delivery, DeliveryAttempt
from tests.engine_helpers import poll
from tests.unit.delivery.factories import (
    SERVER_URL,
    EngineRun,
    at,
    binding,
    deliver,
    due_now,
    engine_run,
    hipchat_endpoint,
)

pytestmark = pytest.mark.django_db


def waiting(pk: int, key: str, status: str = "PENDING", *, sent=False, on=True) -> Waiting:
    return Waiting(pk, key, status, sent, on)


def test_each_window_folds_its_oldest_waiting_run_up_to_one_that_goes_out_singly():
    rows = [
        waiting(1, "a"),
        waiting(2, "a"),
        waiting(3, "b", "SENDING"),  # being sent singly: b's later rows follow it singly
        waiting(4, "b"),
        waiting(5, "c", "FOLDED"),  # already in a digest, which goes out first
        waiting(6, "c"),
        waiting(7, "d", sent=True),  # its text left: its file follows singly
        waiting(8, "d"),
        waiting(9, "e", on=False),  # its binding does not digest
        waiting(10, "f"),
        waiting(11, "f", on=False),
        waiting(12, "f"),
    ]

    assert foldable(rows) == [1, 2, 6, 10]


def test_counts_say_what_happened_most_common_first():
    binding()
    run = engine_run()
    hosts = [f"host-{n}" for n in range(3)]
    for host in hosts:
        run.series(55, at(0), entity=host)
    run.series(20, at(0, 1), entity="host-0")
    members = [_member(d) for d in Delivery.objects.order_by("sequence")]

    assert summary_counts(members) == "3 opened, 1 cancelled"


def _member(delivery):
    return Member(delivery, None)


READER = ("send_notification", "send_message", "view_messages")


def storm(fake, hosts: int, *, threshold: int = 3, scopes=READER) -> EngineRun:
    """``hosts`` windows opening at once into a room that takes 2 messages a second."""
    hipchat_endpoint(fake, scopes=scopes)
    binding(digest_enabled=True, digest_threshold=threshold)
    fake.flood_limit, fake.flood_period_s = 2, 1.0
    run = engine_run()
    ids = [i for n in range(hosts) for i in run.series(55, at(0), entity=f"host-{n}")]
    deliver(ids)
    return run


def send_due(order_key: str) -> None:
    """Run ``order_key`` until nothing of it is left to send (the room's window resets
    within a second)."""

    def sent() -> bool:
        due_now()
        process_order_key(order_key)
        return not Delivery.objects.filter(
            order_key=order_key, status__in=("PENDING", "SENDING")
        ).exists()

    poll(sent, timeout=10, what=f"order key {order_key} sent")


def test_a_held_storm_folds_the_waiting_messages_into_one_digest_with_their_list(
    hipchat_fake,
):
    storm(hipchat_fake, 6)

    digest = Delivery.objects.get(trigger="DIGEST")
    folded = Delivery.objects.filter(folded_into=digest).order_by("sequence")
    assert [d.entity for d in folded] == ["host-2", "host-3", "host-4", "host-5"]
    assert {d.status for d in folded} == {"FOLDED"}
    assert DeliveryAttempt.objects.filter(delivery__in=folded).count() == 0

    send_due(digest.order_key)

    texts = [r.json["message"] for r in hipchat_fake.room_messages(2) if r.json]
    files = [r.file.data.decode() for r in hipchat_fake.room_messages(2) if r.file]
    assert len(texts) == 3  # two singly, then the digest's summary
    assert texts[2].startswith("Alert storm: 4 opened in the last minute")
    assert f"{SERVER_URL}/alerts/open/?rule=temperature-too-high" in texts[2]
    assert len(files) == 1
    for n in range(6):
        named = sum(f"host-{n}" in t for t in texts[:2]) + files[0].count(f"host-{n} ")
        assert named == 1, f"host-{n}"
    assert {d.status for d in Delivery.objects.all()} == {"DELIVERED"}
    summary = [r for r in hipchat_fake.room_messages(2) if r.json][2]
    assert summary.json["color"] == "yellow"  # the rule's WARNING, the worst of them


def test_a_window_waits_for_the_digest_its_earlier_message_was_folded_into(hipchat_fake):
    run = storm(hipchat_fake, 6)
    digest = Delivery.objects.get(trigger="DIGEST")
    cancel = run.series(20, at(0, 1), entity="host-5")
    row = Delivery.objects.get(event_id__in=cancel)

    due_now()
    process_order_key(row.order_key)
    row.refresh_from_db()
    assert row.status == "PENDING"  # behind its window's folded OPEN

    send_due(digest.order_key)
    send_due(row.order_key)

    names = [
        ("file" if r.file else r.json["message"].split("]")[0][:11])
        for r in hipchat_fake.room_messages(2)
        if (r.file and b"host-5" in r.file.data) or (r.json and "host-5" in r.json["message"])
    ]
    assert names == ["Alert storm", "file", "[CANCEL"]


def test_the_digest_summary_is_not_sent_again_when_its_file_failed(hipchat_fake):
    storm(hipchat_fake, 6)
    digest = Delivery.objects.get(trigger="DIGEST")
    hipchat_fake.script(Reply(status=503, endpoint="share/file"))

    send_due(digest.order_key)

    summaries = [
        r for r in hipchat_fake.room_messages(2) if r.json and "Alert storm" in r.json["message"]
    ]
    assert len(summaries) == 1
    assert len([r for r in hipchat_fake.room_messages(2) if r.file]) == 1
    requests = DeliveryAttempt.objects.filter(delivery=digest).order_by("id")
    assert [(a.request, a.status) for a in requests] == [
        ("notification", "OK"),
        ("file", "RETRY"),
        ("file", "OK"),
    ]


def test_the_notification_log_shows_the_digest_requests_as_a_storm_digest(
    hipchat_fake, admin_client
):
    storm(hipchat_fake, 6)
    send_due(Delivery.objects.get(trigger="DIGEST").order_key)

    page = admin_client.get(reverse("notification-log")).content.decode()

    assert page.count("<em>storm digest</em>") == 2  # its summary and its file
    assert '<option value=""></option>' not in page


def test_a_crash_after_the_digest_summary_left_sends_only_its_file(hipchat_fake):
    """The summary left, the worker died before its answer was recorded: the next
    attempt finds the summary in the room's history and sends only the file."""
    storm(hipchat_fake, 6)
    digest = Delivery.objects.get(trigger="DIGEST")
    hipchat_fake.script(Reply(status=503, endpoint="share/file"))
    poll(lambda: (due_now(), process_order_key(digest.order_key), _file_failed(digest))[-1])
    # What a worker killed between the summary's request and its answer leaves behind.
    DeliveryAttempt.objects.filter(delivery=digest, request="notification").update(
        status="SENDING", response_code=0, message_id=""
    )

    send_due(digest.order_key)

    summaries = [
        r for r in hipchat_fake.room_messages(2) if r.json and "Alert storm" in r.json["message"]
    ]
    assert len(summaries) == 1
    assert len([r for r in hipchat_fake.room_messages(2) if r.file]) == 1
    summary = DeliveryAttempt.objects.get(delivery=digest, request="notification")
    assert summary.status == "OK"  # found in the room, not sent again
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DELIVERED"}


def _file_failed(digest: Delivery) -> bool:
    return DeliveryAttempt.objects.filter(delivery=digest, request="file").exists()


def test_a_digest_given_up_at_its_deadline_ends_its_members_and_frees_their_windows(
    hipchat_fake,
):
    run = storm(hipchat_fake, 6)
    digest = Delivery.objects.get(trigger="DIGEST")
    Delivery.objects.filter(pk=digest.pk).update(deadline=timezone.now(), next_attempt_at=None)
    cancel = Delivery.objects.get(event_id__in=run.series(20, at(0, 1), entity="host-5"))
    woken = []

    process_order_key(digest.order_key, wake=lambda key, wait: woken.append(key))

    members = Delivery.objects.filter(folded_into=digest)
    assert {(d.status, d.last_error[:26]) for d in members} == {
        ("FAILED", "digest: given up: deadline")
    }
    assert cancel.order_key in woken
    send_due(cancel.order_key)
    assert hipchat_fake.room_messages(2)[-1].json["message"].startswith("[CANCEL] ")


def test_fewer_waiting_than_the_threshold_wait_for_the_reset_singly(hipchat_fake):
    storm(hipchat_fake, 4, threshold=3)  # two go out, two wait

    assert not Delivery.objects.filter(trigger="DIGEST").exists()
    assert Delivery.objects.filter(status="PENDING").count() == 2


def test_a_binding_without_digests_is_never_folded(hipchat_fake):
    hipchat_endpoint(hipchat_fake)
    binding()
    hipchat_fake.flood_limit, hipchat_fake.flood_period_s = 2, 1.0
    run = engine_run()
    deliver([i for n in range(6) for i in run.series(55, at(0), entity=f"host-{n}")])

    assert not Delivery.objects.filter(trigger="DIGEST").exists()
    assert not Delivery.objects.filter(status="FOLDED").exists()


def test_the_list_is_a_details_table_of_every_folded_message(hipchat_fake):
    storm(hipchat_fake, 6)
    members = members_of(Delivery.objects.get(trigger="DIGEST"))

    table = list_table(members, "markdown")

    lines = table.splitlines()
    header = lines[0].replace(" ", "").replace("**", "")
    assert header == "|Time|Status|Severity|Rule|Entity|Tags|Value|"
    assert len(lines) == 2 + 4
    cells = [c.strip() for c in lines[2].split("|")]
    assert cells[2:6] == ["OPEN", "WARNING", "temperature-too-high", "host-2"]
    html = summary_text("hc", members, "html")
    assert '<a href="https://atsd.example.org:8443/alerts/open/?entity=host-2">host-2</a>' in html
