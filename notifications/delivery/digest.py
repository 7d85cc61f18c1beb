"""Storm digests: when a room's rate budget is spent, the messages waiting for it fold
into one digest message, sent with the full list attached as a file.

A digest is itself a :class:`~notifications.models.Delivery` (trigger ``DIGEST``) of
the endpoint's digest order key, so it is claimed, journalled (a log row before each
request, its outcome after), retried and recovered like any delivery: a crash between
its summary and its file sends the summary once. Digests of one endpoint go out in
the order they were made.

Folding (:func:`fold`) starts when a send is held back by the rate budget (the
``held`` signal) and at least the binding's ``digest_threshold`` deliveries of
digest-enabled bindings wait for the endpoint. Each order key (one window and
endpoint) gives the digest the longest run of its oldest waiting deliveries that
can fold: never sent (no log row), PENDING, their binding's digest on. A folded
delivery is FOLDED: it stays the head of its window's order, so nothing later of
that window goes out singly before the digest has been sent. Deliveries fold into
the endpoint's open digest (PENDING, nothing of it sent yet) while there is one, so
a storm gives one digest per budget window; its members are fixed once a request of
it has left, and a delivery belongs to one digest only (``folded_into``).

When the digest ends, its members end with it (:func:`settle`) and their windows
carry on; the sweep settles what a crash left between the two.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlencode
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

from atsd_alerts.redis import client, key
from notifications.channels.base import Attachment
from notifications.delivery import policy
from notifications.delivery.lookup import Job
from notifications.delivery.outcome import SendOutcome, cancelled
from notifications.delivery.render import Message
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    RuleNotification,
)
from rules.contract.bindings import DEFAULT_DETAILS_FORMAT
from rules.contract.triggers import TriggerSnapshot
from rules.expressions.functions.content import render_table
from rules.models import TriggerRecord
from rules.models.rule import Severity

log = logging.getLogger(__name__)

DIGEST = "DIGEST"  # the trigger of a digest delivery
TOP = 5  # rules and entities named in the summary
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FOLDED)
FINAL = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)
LIST_HEADER = ["Time", "Status", "Severity", "Rule", "Entity", "Tags", "Value"]
_PAST = {"OPEN": "opened", "REPEAT": "repeated", "CANCEL": "cancelled"}


def order_key(endpoint_name: str) -> str:
    """The order key of the digests of ``endpoint_name`` (no window has an empty rule)."""
    return policy.order_key("", DIGEST, endpoint_name)


def is_digest(delivery: Delivery) -> bool:
    return delivery.trigger == DIGEST


@dataclass(frozen=True)
class Waiting:
    """What folding needs to know of one unfinished delivery of the endpoint."""

    pk: int
    order_key: str
    status: str
    sent_before: bool  # a request of it has a log row: it goes out as it began
    digest_on: bool


def foldable(rows: Iterable[Waiting]) -> list[int]:
    """The deliveries that may fold, given the unfinished deliveries of an endpoint in
    (order key, sequence) order: per order key, the run of waiting rows after those
    already folded, up to the first that cannot fold (it, and all after it, go out
    singly, in order)."""
    chosen: list[int] = []
    blocked: set[str] = set()
    for row in rows:
        if row.order_key in blocked:
            continue
        if row.status == DeliveryStatus.FOLDED:
            continue  # in an earlier digest of the endpoint, which goes first
        if row.status == DeliveryStatus.PENDING and row.digest_on and not row.sent_before:
            chosen.append(row.pk)
        else:
            blocked.add(row.order_key)
    return chosen


def _waiting(endpoint_name: str) -> list[Waiting]:
    rows = list(
        Delivery.objects.filter(
            endpoint_name=endpoint_name,
            channel=Channel.WEB,
            status__in=UNFINISHED,
        )
        .exclude(trigger=DIGEST)
        .order_by("order_key", "sequence", "id")
        .values_list("pk", "order_key", "status", "rule_name", "binding_name")
    )
    digest_on = set(
        RuleNotification.objects.filter(
            endpoint_name=endpoint_name, digest_enabled=True, enabled=True
        ).values_list("rule_name", "name")
    )
    sent = set(
        DeliveryAttempt.objects.filter(
            delivery_id__in=[r[0] for r in rows if r[2] == DeliveryStatus.PENDING]
        ).values_list("delivery_id", flat=True)
    )
    return [
        Waiting(pk, key_, status, pk in sent, (rule, binding) in digest_on)
        for pk, key_, status, rule, binding in rows
    ]


def _open_digest(endpoint_name: str) -> Delivery | None:
    """The endpoint's newest digest that may still take members, locked for this
    transaction (a claim of it waits until the members are written)."""
    newest = (
        Delivery.objects.select_for_update()
        .filter(order_key=order_key(endpoint_name), trigger=DIGEST)
        .order_by("-sequence")
        .first()
    )
    if newest is None or newest.status != DeliveryStatus.PENDING:
        return None
    if DeliveryAttempt.objects.filter(delivery=newest).exists():
        return None  # a request of it has left: its members are fixed
    return newest


def _new_digest(endpoint_name: str, due: datetime, now: datetime) -> Delivery:
    last = (
        Delivery.objects.filter(order_key=order_key(endpoint_name))
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return Delivery.objects.create(
        event_id=f"digest-{uuid4().hex}",
        channel=Channel.WEB,
        rule_name="",
        binding_name="",
        endpoint_name=endpoint_name,
        window_key="",
        trigger=DIGEST,
        order_key=order_key(endpoint_name),
        sequence=max(time.time_ns() // 1000, (last or 0) + 1),
        status=DeliveryStatus.PENDING,
        next_attempt_at=due,
        deadline=now + policy.deadline(),
    )


def _unfold_out_of_order(digest: Delivery, members: Sequence[int]) -> None:
    """Give back members that a claim overtook: a member must not follow an unfinished
    delivery of its window that goes out singly."""
    keys = set(Delivery.objects.filter(pk__in=members).values_list("order_key", flat=True))
    rows = (
        Delivery.objects.filter(
            order_key__in=keys,
            status__in=UNFINISHED,
        )
        .order_by("order_key", "sequence", "id")
        .values_list("pk", "order_key", "status")
    )
    mine = set(members)
    back: list[int] = []
    single: set[str] = set()
    for pk, key_, status in rows:
        if status != DeliveryStatus.FOLDED:
            single.add(key_)
        elif key_ in single and pk in mine:
            back.append(pk)
    if back:
        Delivery.objects.filter(pk__in=back, folded_into=digest).update(
            status=DeliveryStatus.PENDING, folded_into=None
        )


def fold(held: Delivery, wait_s: float, now: datetime) -> tuple[str, float] | None:
    """Fold what waits for ``held``'s endpoint into its digest, when ``held`` (just
    held back by the rate budget) belongs to a digest-enabled binding and enough
    waits; the digest's order key and the seconds until it is due, else None."""
    if held.channel != Channel.WEB or is_digest(held):
        return None
    binding = RuleNotification.objects.filter(
        rule_name=held.rule_name, name=held.binding_name, digest_enabled=True
    ).first()
    if binding is None:
        return None
    try:
        lock = client().lock(
            key("notify", "digest-fold", order_key(held.endpoint_name)),
            timeout=30,
            blocking_timeout=0,
        )
        if not lock.acquire():
            return None  # another worker is folding this endpoint right now
    except RedisError as exc:
        log.warning("storm digest of %s not made, Redis unavailable: %s", held.endpoint_name, exc)
        return None
    try:
        return _fold_locked(held.endpoint_name, binding.digest_threshold, wait_s, now)
    finally:
        with contextlib.suppress(RedisError):  # else it expires
            lock.release()


def _fold_locked(
    endpoint_name: str, threshold: int, wait_s: float, now: datetime
) -> tuple[str, float] | None:
    members = foldable(_waiting(endpoint_name))
    if not members or len(members) < max(1, threshold):
        return None
    with transaction.atomic():
        digest = _open_digest(endpoint_name) or _new_digest(
            endpoint_name, now + timedelta(seconds=wait_s), now
        )
        Delivery.objects.filter(pk__in=members, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FOLDED, folded_into=digest, next_attempt_at=None
        )
        _unfold_out_of_order(digest, members)
    count = Delivery.objects.filter(folded_into=digest).count()
    log.info("storm digest %s of %s holds %d notifications", digest.pk, endpoint_name, count)
    due = digest.next_attempt_at
    return digest.order_key, max(0.0, (due - now).total_seconds()) if due else 0.0


# ------------------------------------------------------------------ settling


def settle(digest: Delivery) -> list[str]:
    """End the members of a finished ``digest`` as it ended; their order keys."""
    digest.refresh_from_db(fields=["status", "last_error", "finished"])
    if digest.status not in FINAL:
        return []
    members = Delivery.objects.filter(folded_into=digest, status=DeliveryStatus.FOLDED)
    keys = sorted(set(members.values_list("order_key", flat=True)))
    error = "" if digest.status == DeliveryStatus.DELIVERED else f"digest: {digest.last_error}"
    members.update(
        status=digest.status,
        finished=digest.finished,
        last_error=error[:4000],
        message_preview=f"in storm digest {digest.pk}",
    )
    return keys


def settle_finished() -> list[str]:
    """Members left FOLDED after their digest ended (a crash in between): settled now;
    their order keys."""
    digests = Delivery.objects.filter(
        trigger=DIGEST,
        status__in=FINAL,
        pk__in=Delivery.objects.filter(status=DeliveryStatus.FOLDED).values("folded_into"),
    )
    return sorted({k for digest in digests for k in settle(digest)})


# ----------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Member:
    """One folded delivery as the digest names it."""

    delivery: Delivery
    trigger: TriggerSnapshot | None


def severity_rank(severity: str) -> int:
    """Severities ordered as the rule form lists them, mildest first."""
    names = list(Severity.values)
    name = (severity or "").upper()
    return names.index(name) if name in names else 0


def summary_counts(members: Sequence[Member]) -> str:
    """``37 opened, 12 cancelled``: the members by trigger, most common first."""
    counts = Counter(m.delivery.trigger for m in members)
    return ", ".join(
        f"{n} {_PAST.get(trigger, trigger.lower())}" for trigger, n in counts.most_common()
    )


def _open_alerts_url(**filters: str) -> str:
    return f"{settings.SERVER_URL.rstrip('/')}/alerts/open/?{urlencode(filters)}"


def summary_text(endpoint_name: str, members: Sequence[Member], message_format: str) -> str:
    """The digest's message: counts, the top rules and entities, each linked to Open
    Alerts filtered to it (the page filters by rule, entity and severity)."""
    html = message_format == "html"
    rules = Counter(m.delivery.rule_name for m in members).most_common(TOP)
    entities = Counter(m.delivery.entity for m in members if m.delivery.entity).most_common(TOP)

    def named(filter_name: str, value: str, n: int) -> str:
        url = _open_alerts_url(**{filter_name: value})
        if html:
            return f'<a href="{escape(url, quote=True)}">{escape(value)}</a> ({n})'
        return f"{value} ({n}) {url}"

    head = f"Alert storm: {summary_counts(members)} in the last minute"
    lines = [
        head,
        "Top rules: " + "; ".join(named("rule", r, n) for r, n in rules),
    ]
    if entities:
        lines.append("Top entities: " + "; ".join(named("entity", e, n) for e, n in entities))
    lines.append(f"All {len(members)} are listed in the attached file.")
    if html:
        return "<br>".join([escape(head), *lines[1:]])
    return "\n".join(lines)


def _time_text(ms: int | None) -> str:
    if ms is None:
        return ""
    zone = ZoneInfo(settings.TIME_ZONE or "UTC")
    return datetime.fromtimestamp(ms / 1000, tz=zone).strftime("%Y-%m-%d %H:%M:%S")


def list_table(members: Sequence[Member], fmt: str) -> str:
    """Every member, one row each, in the details table format ``fmt``."""
    rows = []
    for m in members:
        t = m.trigger
        tags = ",".join(f"{k}={v}" for k, v in sorted((t.tags if t else {}).items()))
        rows.append(
            [
                _time_text(t.now_ms if t else None),
                m.delivery.trigger,
                t.severity if t else "",
                m.delivery.rule_name,
                m.delivery.entity,
                tags,
                "" if t is None else f"{t.value:g}",
            ]
        )
    return render_table(rows, fmt, LIST_HEADER)


def members_of(digest: Delivery) -> list[Member]:
    rows = list(Delivery.objects.filter(folded_into=digest).order_by("sequence", "id"))
    records = {
        r.event_id: r.snapshot()
        for r in TriggerRecord.objects.filter(event_id__in=[d.event_id for d in rows])
    }
    return [Member(d, records.get(d.event_id)) for d in rows]


def compose(digest: Delivery) -> tuple[Job, Message] | SendOutcome:
    """What the claimed ``digest`` sends: its summary and its list, or why it cannot."""
    members = members_of(digest)
    if not members:
        return cancelled("storm digest with no notifications left in it")
    endpoint = Endpoint.objects.filter(name=digest.endpoint_name, enabled=True).first()
    if endpoint is None:
        return cancelled(f"endpoint '{digest.endpoint_name}' disabled or removed: send ignored")
    first = members[0].delivery
    binding = RuleNotification.objects.filter(
        rule_name=first.rule_name, name=first.binding_name
    ).first() or RuleNotification(rule_name=first.rule_name, name=first.binding_name)
    known = [m.trigger for m in members if m.trigger is not None]
    if not known:
        return cancelled("storm digest whose trigger records no longer exist")
    worst = max(known, key=lambda t: severity_rank(t.severity))
    parameters = endpoint.parameter_values()
    message_format = (parameters.get("message_format") or "text").strip().lower()
    fmt = binding.details_format or DEFAULT_DETAILS_FORMAT
    stamp = digest.created.strftime("%Y%m%d_%H%M%S") if digest.created else "now"
    file = Attachment(
        f"alert_storm_{stamp}.txt",
        list_table(members, fmt).encode("utf-8"),
        "text/plain",
        f"{len(members)} notifications of the storm digest",
    )
    text = summary_text(digest.endpoint_name, members, message_format)
    job = Job(digest, worst, binding, endpoint, "open", parameters)
    return job, Message(text, message_format, parameters, file, [], False, [])
