"""Rules, endpoint and bindings of a stack under test, written into the stack's database.

Run inside the stack's environment (``manage.py shell -c``) by
``tests.faults.stack.StackUnderTest.configure``: the test process's own Django is bound
to the test database, the stack's processes to theirs.

* ``PROBE_RULE``: every sample of a new entity opens an alert, and its notification
  waits one second (Delay on OPEN), which only beat's ticks to the partition end. A
  probe's OPEN in the room, one per partition, therefore proves the listener, every
  engine worker, beat and the notify worker all serve; and a sample delayed by an
  outage still opens its alert (a count window, not a time window).
* ``STREAM_RULE``: ``value > 50`` over the last sample: a high value opens, a low value
  cancels; the fault suite drives thousands of entities through it.

Both notify the room with ``[${status}] ${entity}``.
"""

from __future__ import annotations

from notifications.models import Endpoint, RuleNotification
from rules.models import Rule
from tests.factories import bindings_xml

ENDPOINT = "faults"
PROBE_RULE, PROBE_METRIC = "stack-probe", "stack_probe"
STREAM_RULE, STREAM_METRIC = "stack-stream", "stack_stream"
MESSAGE = "[${status}] ${entity}"
BINDING = "room"


def configure(url: str, token: str, room: int) -> None:
    endpoint = Endpoint(name=ENDPOINT, kind="HIPCHAT", base_url=url)
    endpoint.set_parameters(
        [
            ("auth_token", token, False),
            ("room", str(room), True),
            ("message", "", True),
            ("message_format", "text", True),
            ("notify", "", False),
            ("from", "", False),
        ]
    )
    endpoint.save()
    rules = (
        (PROBE_RULE, PROBE_METRIC, "value > 0", {"open_delay_count": 1}),
        (STREAM_RULE, STREAM_METRIC, "value > 50", {"cancel_enabled": True}),
    )
    for name, metric, expression, binding_fields in rules:
        binding = RuleNotification.objects.create(
            rule_name=name, name=BINDING, endpoint_name=ENDPOINT, open_enabled=True,
            open_params={"message": MESSAGE}, cancel_params={"message": MESSAGE},
            **binding_fields,
        )  # fmt: skip
        Rule.objects.create(
            name=name, metric=metric, expression=expression, window="length(1)",
            tags_grouping_strategy="NO_TAGS",
            web_notifications_xml=bindings_xml([binding], name),
        )  # fmt: skip
