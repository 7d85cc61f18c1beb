"""``<flapDamping>``: our own rules.xml element for flap damping (not ATSD's)."""

import pytest

from rules.models import Rule
from rules.partition.definitions import definition_of
from rules.rulesxml import RulesImportError, read_rules, write_rules

BODY = (
    "<rules><rule><name>r</name><metric>m</metric><window>length(1)</window>"
    "<expression>true</expression>{}</rule></rules>"
)


def _read(extra: str):
    (spec,) = read_rules(BODY.format(extra).encode())
    return spec


def test_the_element_sets_damping_on_with_its_values():
    spec = _read(
        "<flapDamping><changes>3</changes><intervalCount>2</intervalCount>"
        "<intervalUnit>second</intervalUnit></flapDamping>"
    )
    values = (spec.flap_damping, spec.flap_changes, spec.flap_period_count, spec.flap_period_unit)
    assert values == (True, 3, 2, "SECOND")
    assert spec.raw_extra == []  # known, not kept as an unknown element


def test_a_rule_without_it_exports_exactly_as_atsd_writes_it():
    spec = _read("")
    assert not spec.flap_damping
    assert b"flapDamping" not in write_rules([spec])


def test_round_trip_keeps_values_even_while_off():
    spec = _read("<flapDamping><enabled>false</enabled><changes>7</changes></flapDamping>")
    (again,) = read_rules(write_rules([spec]))
    assert (again.flap_damping, again.flap_changes, again.flap_period_count) == (False, 7, 10)


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        ("<changes>0</changes>", "0 is less than 1"),
        ("<intervalUnit>fortnight</intervalUnit>", "not an interval unit"),
        ("<period>3</period>", "unexpected child <period>"),
    ],
)
def test_bad_values_are_refused_naming_the_element(child, reason):
    with pytest.raises(RulesImportError) as caught:
        read_rules(BODY.format(f"<flapDamping>{child}</flapDamping>").encode())
    [failure] = caught.value.failures
    assert failure.element == "flapDamping"
    assert reason in failure.reason


def test_the_engine_gets_the_settings_of_the_rule():
    rule = Rule(name="r", metric="m", window="length(1)", expression="true")
    assert definition_of(rule).flap is None
    rule.flap_damping, rule.flap_changes, rule.flap_period_count = True, 4, 3
    flap = definition_of(rule).flap
    assert flap is not None
    assert (flap.changes, flap.period_ms) == (4, 180_000)
