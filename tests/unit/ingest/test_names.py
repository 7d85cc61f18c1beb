"""Entity and metric names seen by ingestion: created on first sight, written once per round."""

import pytest

from rules.events import SERIES, Event
from rules.ingest.names import TOUCH_INTERVAL_S, Names
from rules.models import Entity, Metric

pytestmark = pytest.mark.django_db


def sample(entity: str, metric: str = "cpu") -> Event:
    return Event(SERIES, entity, metric, {}, 1000, 1000, 1.0, line_values={metric: 1.0})


def test_names_are_created_on_first_sight_and_not_written_again_within_a_round(
    django_assert_num_queries,
):
    names = Names()
    names.observe([sample("e1"), sample("e2")])
    assert set(Entity.objects.values_list("name", flat=True)) == {"e1", "e2"}
    assert list(Metric.objects.values_list("name", flat=True)) == ["cpu"]
    with django_assert_num_queries(0):
        assert len(names.observe([sample("e2"), sample("e1")])) == 2


def test_a_new_round_writes_the_last_insert_time_again():
    names = Names()
    names.observe([sample("e1")])
    first = Entity.objects.get(name="e1").last_insert
    names._round_started -= TOUCH_INTERVAL_S
    names.observe([sample("e1")])
    assert Entity.objects.get(name="e1").last_insert > first


def test_names_whose_write_failed_are_written_by_the_retried_batch(monkeypatch):
    names = Names()
    calls = []

    def failing_touch(model, names):
        calls.append(names)
        raise RuntimeError("database is locked")

    with monkeypatch.context() as m:
        m.setattr(Names, "_touch", staticmethod(failing_touch))
        with pytest.raises(RuntimeError):
            names.observe([sample("e1")])
    names.observe([sample("e1")])
    assert Entity.objects.filter(name="e1").exists()
    assert Metric.objects.filter(name="cpu").exists()


def test_disabled_names_are_left_out():
    Entity.objects.create(name="off", enabled=False)
    names = Names()
    kept = names.observe([sample("off"), sample("on")])
    assert [e.entity for e in kept] == ["on"]
