"""The WEBHOOK object: every window field of spec §5.2 as a placeholder prints it,
entity and metric as objects, and the same fields flattened for a form."""

from notifications.rendering.scope import FIELD_NAMES
from notifications.rendering.window_fields import flat_fields, window_fields
from tests.unit.rendering.fixtures import info, trigger

SERVER = "https://atsd.example.org:8443"


def _fields(name: str = "disk_low_open", **extra):
    t = trigger(name)
    metadata = info(server_url=SERVER, entity_label="NURSWGVML007", entity_tags={"app": "ATSD"},
                    metric_fields={"dataType": "FLOAT"}, **extra)  # fmt: skip
    return window_fields(t, metadata, now_ms=t.now_ms)


def test_every_window_field_is_a_key():
    fields = _fields()
    assert set(fields) >= FIELD_NAMES
    assert list(fields) == sorted(fields)


def test_values_print_as_placeholders_do_and_durations_are_zero_at_open():
    fields = _fields()
    assert fields["status"] == fields["alert_type"] == "OPEN"
    assert fields["severity"] == "warning"
    assert fields["value"] == 85.5
    assert fields["repeat_count"] == 0
    assert fields["tags"] == {"file_system": "/dev/sda1", "mount_point": "/"}
    assert fields["alert_duration"] == "00:00:00:00"
    assert fields["alert_duration_interval"] == ""
    assert fields["cancel_time"] == ""
    assert fields["open_time"] == "2018-02-22T12:00:00.361Z[UTC]"
    assert fields["rule_expression"] == "value > 80"
    assert fields["ruleLink"] == f"{SERVER}/rule/edit.xhtml?name=disk_low"


def test_entity_and_metric_are_objects_of_their_metadata():
    fields = _fields()
    assert fields["entity"] == {
        "id": "nurswgvml007", "name": "nurswgvml007", "label": "NURSWGVML007",
        "tags": {"app": "ATSD"},
    }  # fmt: skip
    assert fields["metric"]["id"] == "disk_used_percent"
    assert fields["metric"]["dataType"] == "FLOAT"


def test_flat_fields_join_nested_names_with_dots():
    pairs = dict(flat_fields(_fields()))
    assert pairs["entity.id"] == "nurswgvml007"
    assert pairs["entity.tags.app"] == "ATSD"
    assert pairs["metric.dataType"] == "FLOAT"
    assert pairs["tags.mount_point"] == "/"
    assert pairs["value"] == "85.5"
    assert pairs["is_exiting"] == "false"
