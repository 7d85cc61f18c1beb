"""A binding row holds exactly one WebNotificationSpec, and reads back as it."""

from __future__ import annotations

import pytest

from notifications.bindings.rows import row_fields, same_bindings, spec_of
from notifications.models import RuleNotification
from rules.rulesxml.web_notifications import read_web_notification
from tests.unit.bindings.conftest import FIXTURES, read_fixture

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.xml"))


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_a_spec_stored_as_a_row_reads_back_the_same(name):
    spec = read_web_notification(read_fixture(name))
    row = RuleNotification(rule_name="r", position=0, **row_fields(spec))
    assert spec_of(row) == spec


@pytest.mark.django_db
def test_a_saved_row_reads_back_the_same_from_the_database():
    spec = read_web_notification(read_fixture("spec_example.xml"))
    RuleNotification.objects.create(rule_name="r", position=0, **row_fields(spec))
    assert spec_of(RuleNotification.objects.get()) == spec


def test_stored_values_are_read_as_the_xml_reader_gives_them():
    row = RuleNotification(
        rule_name="r", name="b", endpoint_name="hc", open_delay_count=None,
        open_delay_unit="minute", repeat_strategy={"type": "count", "count": "3"},
        open_params={"message": 5},
    )  # fmt: skip
    spec = spec_of(row)
    assert (spec.open_delay.count, spec.open_delay.unit) == (0, "MINUTE")
    assert (spec.repeat_interval.type, spec.repeat_interval.count) == ("COUNT", 3)
    assert spec.repeat_interval.unit == "MINUTE"
    assert spec.open.parameters == {"message": "5"}


def test_rows_and_specs_compare_in_order_and_without_parameter_order():
    spec = read_web_notification(read_fixture("hipchat.xml"))
    fields = row_fields(spec)
    fields["open_params"] = dict(reversed(list(fields["open_params"].items())))
    row = RuleNotification(rule_name="r", position=0, **fields)
    assert same_bindings([row], [spec])
    assert not same_bindings([row, row], [spec])
