"""last_open() over the alert history table: the window's newest OPEN/REPEAT record."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from rules.alerts.store_reads import StoreReadsService, last_open_record
from rules.expressions.compiler import compile_expression
from rules.models import AlertHistory
from tests.unit.expressions.doubles import DictContext

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000_000


def history(n: int, type_: str, *, tags: str = "disk=sda", entity: str = "e1", value=1.0):
    AlertHistory.objects.create(
        event_id=f"ev-{n}", date=datetime.fromtimestamp((T0 + n * 1000) / 1000, UTC),
        entity=entity, metric="cpu", tags=tags, type=type_, value=value, alert=f"text {n}",
        severity="UNDEFINED" if type_ == "CANCEL" else "CRITICAL", rule="r", repeat_count=n,
    )  # fmt: skip


def test_the_newest_open_or_repeat_record_of_the_window_wins():
    history(1, "OPEN", value=10.0)
    history(2, "REPEAT", value=20.0)
    history(3, "CANCEL", value=30.0)
    history(4, "OPEN", tags="disk=sdb", value=40.0)
    history(5, "OPEN", entity="e2", value=50.0)
    found = last_open_record("r", "cpu", "e1", {"disk": "sda"})
    assert found == {
        "time": T0 + 2000, "value": 20.0, "severity": "CRITICAL", "status": "REPEAT",
        "repeat_count": 2, "message": "text 2",
    }  # fmt: skip
    assert last_open_record("r", "cpu", "e1", {"disk": "sdb"})["value"] == 40.0
    assert last_open_record("other", "cpu", "e1", {}) is None


def test_last_open_through_the_service_with_its_defaults():
    history(1, "OPEN", value=None)
    reads = StoreReadsService()
    names = {"rule": "r", "metric": "cpu", "entity": "e1", "window_tags": {"disk": "sda"},
             "store_reads": reads}  # fmt: skip
    value = compile_expression("last_open().value", "condition").evaluate(DictContext(names))
    assert math.isnan(value)
    names["entity"] = "nobody"
    severity = compile_expression("last_open().severity", "condition")
    assert severity.evaluate(DictContext(names)) == "UNDEFINED"
