"""The storage limits the parser checks are the ones the models declare."""

from rules.columns import KEY_MAX_BYTES, NAME_MAX_CHARS
from rules.models import Alert, AlertHistory, Entity, Metric, RuleErrorRecord, TriggerRecord


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def test_names_are_limited_to_the_columns_they_are_stored_in():
    columns = [
        (Entity, "name"),
        (Metric, "name"),
        (Alert, "entity"),
        (Alert, "metric"),
        (AlertHistory, "entity"),
        (AlertHistory, "metric"),
    ]
    assert {max_length(model, name) for model, name in columns} == {NAME_MAX_CHARS}


def test_window_keys_fit_their_columns_and_the_index_beside_a_rule_name():
    for model in (Alert, TriggerRecord, RuleErrorRecord):
        assert max_length(model, "window_key") >= KEY_MAX_BYTES
    # PostgreSQL's B-tree holds at most 2,704 bytes per entry (rule, window_key).
    assert KEY_MAX_BYTES + max_length(Alert, "rule") < 2704 - 32
