"""rule_window() and rule_windows(): other windows as objects (spec §4.6 SHOULD), through
the engine that holds both rules."""

from __future__ import annotations

import pytest

from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.events import Event
from rules.expressions.errors import EvaluationError
from tests.unit.expressions.helpers import ev


def series(entity, metric, value, t, tags=None):
    return Event("series", entity, metric, tags or {}, t, t, value, line_values={metric: value})


def message(entity, text, t):
    return Event("message", entity, "message", {"type": "app"}, t, t, 0.0, text=text,
                 type="app", source="s")  # fmt: skip


@pytest.fixture
def engine() -> Engine:
    engine = Engine()
    engine.install(RuleDefinition("temp", "temperature", "value > 50", "length(1)"))
    engine.install(RuleDefinition("logs", "message", "true", "length(1)", type="app"))
    return engine


def probe(engine: Engine, expression: str, entity: str = "e1", t: int = 100) -> dict:
    """The variable ``x`` = ``expression`` of a trigger of rule ``probe`` for ``entity``."""
    engine.install(RuleDefinition("probe", "pressure", "true", "length(1)",
                                  variables=(("x", expression),)))  # fmt: skip
    [trigger] = engine.process(series(entity, "pressure", 1.0, t), t)
    engine.drop_rule("probe")
    return trigger.variables["x"]


def test_rule_window_shows_the_other_window_fields(engine):
    engine.process(series("e1", "temperature", 80.0, 10, {"site": "a"}), 10)
    assert probe(engine, "rule_window('temp').status") == "OPEN"
    assert probe(engine, "rule_window('temp').value") == 80.0
    assert probe(engine, "rule_window('temp').tags") == {"site": "a"}
    assert probe(engine, "rule_window('temp').severity") == "warning"
    assert probe(engine, "rule_window('temp').open_time.millis") == 10
    assert probe(engine, "rule_window('temp').count") == 1


def test_rule_window_matches_any_status_and_is_null_without_a_match(engine):
    engine.process(series("e1", "temperature", 20.0, 10), 10)
    assert probe(engine, "rule_window('temp').status") == "CANCEL"
    assert probe(engine, "rule_window('temp') == null", entity="e2") is True
    assert probe(engine, "rule_window('nope') == null") is True


def test_rule_window_entity_and_expression_select_the_window(engine):
    engine.process(series("e2", "temperature", 60.0, 10), 10)
    engine.process(series("e3", "temperature", 70.0, 11), 11)
    assert probe(engine, "rule_window('temp', 'e3').value") == 70.0
    assert probe(engine, "rule_window('temp', '', \"status = 'OPEN'\").entity") == "e2"


def test_rule_window_gives_the_last_message_text(engine):
    engine.process(message("e1", "disk full", 10), 10)
    assert probe(engine, "rule_window('logs').lastText") == "disk full"


def test_rule_windows_lists_every_matching_window_of_any_entity(engine):
    for i, (entity, v) in enumerate((("e1", 60.0), ("e2", 10.0), ("e3", 70.0))):
        engine.process(series(entity, "temperature", v, i), i)
    assert probe(engine, "rule_windows('temp').size()") == 3
    opened = "rule_windows('temp', \"status = 'OPEN'\")"
    assert probe(engine, f"{opened}.size()") == 2
    assert probe(engine, f"{opened}[1].entity") == "e3"


def test_outside_a_rule_condition_other_windows_are_not_visible():
    with pytest.raises(EvaluationError, match="only visible to rule conditions"):
        ev("rule_window('temp')")
