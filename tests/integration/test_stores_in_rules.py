"""Rules read the stores on the running engine: commands stored at ingest, read by functions."""

import pytest

from rules.ingest.commands import parse_command
from rules.ingest.pipeline import hand_off
from rules.models import Alert, NamedCollection, ReplacementTable
from tests.engine_helpers import make_rule, poll

pytestmark = pytest.mark.integration


def send(*lines: str) -> None:
    events = [e for line in lines for e in parse_command(line, 1_000)]
    hand_off(events)


def test_a_series_rule_reads_the_entitys_stored_property(engine_worker):
    make_rule(
        "in-maintenance", "cpu", "property('host.cfg::mode') == 'maintenance' && value > 90",
        "length(1)",
    )  # fmt: skip
    send("property e:srv1 t:host.cfg v:mode=maintenance", "property e:srv2 t:host.cfg v:mode=on")
    send("series e:srv1 m:cpu=95", "series e:srv2 m:cpu=95")

    alert = poll(lambda: Alert.objects.filter(rule="in-maintenance").first(), what="OPEN alert")
    assert alert.entity == "srv1"
    assert list(Alert.objects.values_list("entity", flat=True)) == ["srv1"]


def test_a_series_rule_counts_the_entitys_stored_messages(engine_worker):
    make_rule(
        "after-backup-error", "cpu", "db_message_count('1 hour', 'backup-error', '') > 0",
        "length(1)",
    )  # fmt: skip
    send(
        "message e:srv1 t:type=backup-error m:failed ms:500", "message e:srv2 t:type=ok m:x ms:500"
    )
    send("series e:srv2 m:cpu=1", "series e:srv1 m:cpu=1")

    alert = poll(lambda: Alert.objects.filter(rule="after-backup-error").first(), what="OPEN")
    assert alert.entity == "srv1"


def test_an_entity_command_sets_the_tags_a_rule_reads(engine_worker):
    make_rule("prod-only", "cpu", "entity_tag(entity, 'env') == 'prod'", "length(1)")
    send("entity e:srv1 l:Server t:env=prod", "entity e:srv2 t:env=test")
    send("series e:srv2 m:cpu=1", "series e:srv1 m:cpu=1")

    alert = poll(lambda: Alert.objects.filter(rule="prod-only").first(), what="OPEN")
    assert alert.entity == "srv1"


def test_a_rule_reads_a_replacement_table_and_a_named_collection(engine_worker):
    ReplacementTable.objects.create(name="owners", entries=[["srv1", "ops"]])
    NamedCollection.objects.create(name="watched", items=["srv1", "srv3"])
    make_rule(
        "owned", "cpu",
        "lookup('owners', entity) == 'ops' && collection('watched').contains(entity)", "length(1)",
    )  # fmt: skip
    send("series e:srv2 m:cpu=1", "series e:srv1 m:cpu=1")

    alert = poll(lambda: Alert.objects.filter(rule="owned").first(), what="OPEN")
    assert alert.entity == "srv1"
