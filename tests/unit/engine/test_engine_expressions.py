"""The engine with the real expression compiler: §3.12 R1 and §9 rows 22, 24, 32 by text."""

from __future__ import annotations

import pytest

from rules.engine.definition import RuleDefinition
from rules.engine.engine import Engine
from rules.engine.grouping import NO_TAGS, Grouping
from rules.engine.rule_runtime import RuleRuntime
from rules.events import Event
from rules.expressions.errors import EvaluationError

# Every test runs through RuleRuntime._process_simple and _process_general.
pytestmark = pytest.mark.usefixtures("both_paths")


def series(entity, metric, value, t, tags=None, line=None):
    return Event("series", entity, metric, tags or {}, t, t, value,
                 line_values=line or {metric: value})  # fmt: skip


def test_r1_with_avg_over_a_count_window():
    engine = Engine()
    engine.install(RuleDefinition("r1", "temperature", "avg() > 50", "length(3)"))
    statuses = []
    for i, v in enumerate((55, 60, 20, 20, 200)):
        statuses.append(
            [t.status for t in engine.process(series("br-1905", "temperature", v, i), i)]
        )
    assert statuses == [["OPEN"], ["REPEAT"], ["CANCEL"], [], ["OPEN"]]


def test_row_22_value_of_another_metric():
    engine = Engine()
    engine.install(
        RuleDefinition("p", "pressure", "value > 1.5 && value('temperature') > 50", "length(1)")
    )
    hot = {"pressure": 3.5, "temperature": 80.0}
    cold = {"pressure": 3.5, "temperature": 33.0}
    [opened] = engine.process(series("sensor01", "pressure", 3.5, 0, line=hot), 0)
    [cancel] = engine.process(series("sensor01", "pressure", 3.5, 1, line=cold), 1)
    assert (opened.status, cancel.status) == ("OPEN", "CANCEL")


def test_row_24_filter_on_a_tag():
    engine = Engine()
    engine.install(
        RuleDefinition("d", "disk", "value > 0", "length(1)", filter="tags.mount_point = '/'")
    )
    assert engine.process(series("e1", "disk", 90, 0, tags={"mount_point": "/dev"}), 0) == []
    assert engine.rules["d"].windows == {}
    assert engine.process(series("e1", "disk", 90, 1, tags={"mount_point": "/"}), 1) != []


def test_row_32_walkthrough_condition_and_variables():
    engine = Engine()
    engine.install(
        RuleDefinition(
            "atsd.jvm.low_memory", "jvm_memory_used_percent", "avg() > 10 || max() > 85",
            "time(15 minute)", grouping=Grouping(NO_TAGS),
            variables=(("p95", "percentile(95)"), ("was", "before_status")),
        )
    )  # fmt: skip
    ev = series("atsd", "jvm_memory_used_percent", 22.7, 0, tags={"host": "AXIBASE"})
    [opened] = engine.process(ev, 0)
    assert opened.status == "OPEN"
    assert opened.tags == {"host": "AXIBASE"}
    assert opened.window_key == "series-jvm_memory_used_percent-atsd"
    assert opened.variables == {"p95": 22.7, "was": "CANCEL"}


def test_windows_keep_min_max_structures_only_for_rules_that_use_them():
    engine = Engine()
    engine.install(RuleDefinition("a", "m", "avg() > 10 || max() > 85", "time(15 minute)"))
    engine.install(
        RuleDefinition("b", "m", "avg() > 10", "length(5)", variables=(("lo", "min()"),))
    )
    engine.install(RuleDefinition("c", "m", "value > 1", "length(5)"))
    got = {name: (rt.track_min, rt.track_max) for name, rt in engine.rules.items()}
    assert got == {"a": (False, True), "b": (True, False), "c": (False, False)}


def test_a_compiler_without_functions_used_keeps_every_structure():
    class Plain:
        def evaluate(self, ctx):
            return ctx.window.min() > 1

    engine = Engine(compiler=lambda text, kind: Plain())
    engine.install(RuleDefinition("r", "m", "min() > 1", "length(3)"))
    assert (engine.rules["r"].track_min, engine.rules["r"].track_max) == (True, True)


def test_trigger_statistics_are_exact_without_min_max_structures():
    engine = Engine()
    engine.install(RuleDefinition("r", "m", "avg() > 10", "time(1 minute)"))
    triggers = []
    for i, v in enumerate((12.0, float("nan"), 30.0, 11.0, 9.0, 40.0, -3.0)):
        triggers += engine.process(series("e", "m", v, i * 1000), i * 1000)
    last = triggers[-1]
    finite = [v for v in last.values if v == v]
    assert (last.statistics["min"], last.statistics["max"]) == (min(finite), max(finite))
    assert last.statistics["count"] == len(finite)
    assert last.statistics["countNaN"] == 1


def _unknown_entity(name):
    raise KeyError(name)


@pytest.mark.parametrize(
    "text",
    [
        "value > 'abc'",  # an EvaluationError of the §4.3 semantics
        "avg() > 10 || value",  # a non-boolean operand on the fast || path
        "date_parse('x') > 1",  # a function's EvaluationError with a Python cause
        "entity.label == 'x'",  # a plain Python error (KeyError) wrapped by evaluate()
    ],
)
def test_condition_errors_read_as_compiled_expression_evaluate_raises_them(text):
    engine = Engine(entity_lookup=_unknown_entity)
    engine.install(RuleDefinition("r", "m", text, "length(3)"))
    assert engine.process(series("e1", "m", 5.0, 0), 0) == []
    [error] = engine.drain_errors()
    rt = engine.rules["r"]
    with pytest.raises(EvaluationError) as info:
        rt.condition.evaluate(rt.scope)
    assert error.error == f"EvaluationError: {info.value}"


def test_the_common_rule_shape_takes_the_simple_path(both_paths):
    engine = Engine()
    no_tags = Grouping(NO_TAGS)
    engine.install(RuleDefinition("a", "m", "avg() > 10", "time(15 minute)", grouping=no_tags))
    engine.install(RuleDefinition("b", "m", "avg() > 10", "length(3)", grouping=no_tags))
    engine.install(RuleDefinition("t", "m", "avg() > 10", "length(3)"))  # windows by tags
    engine.install(RuleDefinition("c", "m", "avg() > 10", "length(3)", filter="value > 1"))
    engine.install(
        RuleDefinition("d", "m", "avg() > 10", "time(1 minute)", discard_previous_values=True)
    )
    simple = {name for name, rt in engine.rules.items() if rt.simple}
    assert simple == {"a", "b"}
    for name, rt in engine.rules.items():
        fast = both_paths == "fast" and name in simple
        want = RuleRuntime._process_simple if fast else RuleRuntime._process_general
        assert rt.process.__func__ is want  # what the partition worker calls


@pytest.mark.timeout(20)
def test_like_bomb_in_a_condition_on_a_long_entity_cannot_stall_the_partition():
    # Before: 9 s per sample at 4,000 characters, minutes at this length.
    engine = Engine()
    prod = RuleDefinition("prod", "cpu", "entity LIKE '*.*.*prod*' || value > 50", "length(1)")
    engine.install(prod)
    engine.install(RuleDefinition("other", "cpu", "rule_open('prod', '*.*.*prod*')", "length(1)"))
    name = "." * 16_000

    def fired(entity, value, t):
        return [(x.rule, x.status) for x in engine.process(series(entity, "cpu", value, t), t)]

    # The long name does not match: prod opens on its value, other finds no prod window.
    assert fired(name, 90, 0) == [("prod", "OPEN")]
    assert fired(name + "prod", 1, 1) == [("prod", "OPEN"), ("other", "OPEN")]
    assert engine.drain_errors() == []


def test_only_windows_of_rules_reading_order_statistics_keep_ordered_storage():
    engine = Engine()
    engine.install(RuleDefinition("p95", "cpu", "percentile(95) > 80", "length(10)"))
    engine.install(RuleDefinition("mid", "cpu", "median() > 80 || min() < 1", "time(1 minute)"))
    engine.install(RuleDefinition("avg", "cpu", "avg() > 80 || max() > 95", "length(10)"))
    for i, v in enumerate((70.0, 90.0, 85.0)):
        engine.process(series("e1", "cpu", v, i), i)
    ordered = {name: rt.windows["e1"].window._sorted for name, rt in engine.rules.items()}
    assert ordered["avg"] is None
    assert list(ordered["p95"]) == list(ordered["mid"]) == [70.0, 85.0, 90.0]
