"""Trigger records made by the real engine, endpoints and bindings for delivery tests.

Triggers come from ``rules.engine.engine.Engine`` driven in-process with an
explicit clock, so their snapshots are exactly what the running engine stores,
and are stored through ``rules.alerts.store.store_items`` — the path that calls
``dispatch_triggers`` in its transaction, as the engine worker does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from notifications.delivery import process_order_key
from notifications.dispatch import dispatch_triggers
from notifications.models import Delivery, DeliveryStatus, Endpoint, RuleNotification
from rules.alerts.store import store_items
from rules.contract.triggers import TriggerSnapshot, encode_trigger
from rules.engine.actions import ActionSettings, RepeatStrategy
from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import Grouping
from rules.events import MESSAGE, SERIES, Event

SERVER_URL = "https://atsd.example.org:8443"
OPEN_TEXT = "[${status}] ${rule} for ${entity} ${tags}. ${ruleLink}"
LATER_TEXT = (
    "[${status}] ${rule} for ${entity} ${tags}. Duration: ${alert_duration_interval}. ${ruleLink}"
)
RULE = "temperature-too-high"
L = f"{SERVER_URL}/rule/edit.xhtml?name={RULE}"
BINDING = "Web Service Notification id=1"
TOKEN = "tok-0123456789abcdef"
T0 = int(datetime(2018, 2, 22, 12, 0, 0, tzinfo=UTC).timestamp() * 1000)

_ids = itertools.count(1)


def at(minutes: float = 0, seconds: float = 0) -> int:
    """Unix ms of 12:00:00 + the offset, the §9 fixture's clock."""
    return T0 + int((minutes * 60 + seconds) * 1000)


def hipchat_endpoint(
    fake,
    *,
    name: str = "hc",
    message_format: str = "text",
    scopes: tuple[str, ...] = ("send_notification", "send_message"),
    **fields,
) -> Endpoint:
    """A HIPCHAT endpoint at ``fake`` with a room-2 room and a token with ``scopes``
    (both sending scopes; add ``view_messages`` to let it read the room's history)."""
    room = fake.add_room("Ops Alerts", room_id=2) if fake._resolve_room(2) is None else None
    del room
    token = fake.add_token(TOKEN, scopes=scopes) if TOKEN not in fake._tokens else TOKEN
    endpoint = Endpoint(name=name, kind="HIPCHAT", base_url=fake.url, **fields)
    endpoint.set_parameters(
        [
            ("auth_token", token, False),
            ("room", "2", True),
            ("message", "", True),
            ("message_format", message_format, True),
            ("notify", "", False),
            ("from", "", False),
        ]
    )
    endpoint.save()
    return endpoint


def binding(
    rule: str = RULE, *, name: str = BINDING, endpoint: str = "hc", **fields
) -> RuleNotification:
    """All triggers enabled with the §9 texts; keywords override fields."""
    values = {
        "open_enabled": True,
        "repeat_enabled": True,
        "cancel_enabled": True,
        "open_params": {"message": OPEN_TEXT},
        "repeat_params": {"message": LATER_TEXT},
        "cancel_params": {"message": LATER_TEXT},
    }
    values.update(fields)
    return RuleNotification.objects.create(
        rule_name=rule, name=name, endpoint_name=endpoint, **values
    )


@dataclass
class EngineRun:
    """One rule on an in-process engine; ``send`` applies an event and stores triggers."""

    definition: RuleDefinition
    engine: Engine = field(default_factory=lambda: Engine(zone="UTC"))
    stored: list[str] = field(default_factory=list)
    triggers: list[TriggerSnapshot] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine.install(self.definition, T0)

    def sample(self, value: float, now_ms: int, entity: str, tags: dict[str, str]) -> Event:
        metric = self.definition.metric
        return Event(
            kind=SERIES, entity=entity, metric=metric, tags=dict(tags), time_ms=now_ms,
            receive_ms=now_ms, value=value, line_values={metric: value},
        )  # fmt: skip

    def series(self, value: float, now_ms: int, entity: str = "br-1905", **tags: str) -> list[str]:
        return self.store(self.engine.process(self.sample(value, now_ms, entity, tags), now_ms))

    def series_at_once(self, value: float, now_ms: int, entities: list[str]) -> list[str]:
        """One sample per entity at ``now_ms``, their triggers stored in one transaction
        (as one engine batch is)."""
        events = [self.sample(value, now_ms, entity, {}) for entity in entities]
        return self.store([t for e in events for t in self.engine.process(e, now_ms)])

    def message(self, text: str, now_ms: int, entity: str, severity: int, **tags: str) -> list[str]:
        event = Event(
            kind=MESSAGE, entity=entity, metric="message", tags=dict(tags), time_ms=now_ms,
            receive_ms=now_ms, text=text, type=tags.get("type"), source=tags.get("source"),
            severity=severity,
        )  # fmt: skip
        return self.store(self.engine.process(event, now_ms))

    def store(self, triggers: list[TriggerSnapshot]) -> list[str]:
        """Store triggers as the engine worker does (deliveries in the same transaction)."""
        items = [{"id": f"test-{next(_ids)}", "trigger": encode_trigger(t)} for t in triggers]
        self.triggers.extend(triggers)
        ids = store_items(0, items) if items else []
        self.stored.extend(ids)
        return ids


def web_action(name: str = BINDING, **settings) -> ActionSettings:
    return ActionSettings("web:" + name, **settings)


def engine_run(
    rule: str = RULE,
    *,
    metric: str = "temperature",
    expression: str = "avg() > 50",
    window: str = "length(3)",
    severity: str = "WARNING",
    actions: tuple[ActionSettings, ...] | None = None,
    grouping: Grouping | None = None,
    **fields,
) -> EngineRun:
    """An engine with one rule whose only action is the web binding (repeat ALL)."""
    definition = RuleDefinition(
        name=rule, metric=metric, expression=expression, window=window, severity=severity,
        grouping=grouping or Grouping(),
        actions=actions or (web_action(strategy=RepeatStrategy()),), **fields,
    )  # fmt: skip
    return EngineRun(definition)


def dispatched(ids: list[str]) -> Delivery:
    """The one delivery row dispatch writes for ``ids``, not sent yet."""
    dispatch_triggers(ids)
    return Delivery.objects.get(event_id__in=ids)


def deliver(ids: list[str]) -> list[Delivery]:
    """Dispatch ``ids`` and send every order key until nothing is due."""
    dispatch_triggers(ids)
    rows = list(Delivery.objects.filter(event_id__in=ids).order_by("sequence"))
    for key in dict.fromkeys(r.order_key for r in rows):
        process_order_key(key)
    return list(Delivery.objects.filter(event_id__in=ids).order_by("sequence"))


def due_now() -> None:
    """Let the retry time of every waiting row pass."""
    Delivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=None)


def texts(fake) -> list[str]:
    return [r.json["message"] for r in fake.room_messages(2) if r.endpoint == "notification"]
