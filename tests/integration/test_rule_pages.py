"""Alerts > Rules pages: list, editor, delete, toggle, rules.xml import and export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rules.editor.forms import parse_variables, variables_to_text
from rules.models.rule import Rule
from rules.rulesxml import RuleSpec, read_rules

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml"
WALKTHROUGH = "atsd.jvm.low_memory"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _rule(name: str = "cpu_high", **values) -> Rule:
    fields = {"metric": "cpu_busy", "window": "length(3)", "expression": "avg() > 90"}
    fields.update(values)
    return Rule.objects.create(name=name, **fields)


def _form(**overrides) -> dict:
    """A complete, valid editor POST; keyword arguments replace single fields."""
    data = {
        "name": "disk_low",
        "enabled": "on",
        "description": "Disk almost full",
        "metric": "disk_used_percent",
        "entity_filter": "nurswgvml*",
        "filter": "tags.mount_point != '/tmp'",
        "time_filter_count": "5",
        "time_filter_unit": "MINUTE",
        "discard_previous_values": "on",
        "group_by_entity": "on",
        "tags_grouping_strategy": "DEFINED_TAGS",
        "grouping_tags": "file_system, mount_point",
        "window": "count(3)",
        "leaving_events": "",
        "variables": "free = 100 - value\nlow = free < 10",
        "expression": "low && value > 90",
        "severity": "CRITICAL",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def _upload(data: bytes, name: str = "rules.xml", **extra) -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="text/xml"), **extra}


def _specs() -> dict[str, RuleSpec]:
    return {rule.name: RuleSpec.from_model(rule) for rule in Rule.objects.all()}


# --- list ---------------------------------------------------------------------------


def test_the_list_shows_each_rule_with_window_as_the_ui_says_it(operator_client):
    _rule("cpu_high", severity="MAJOR")
    _rule("mem_low", metric="memory_free", window="time(15 minute)", expression="value < 100")
    page = operator_client.get(reverse("rule-list")).content.decode()
    for text in ("cpu_high", "cpu_busy", "count(3)", "avg() &gt; 90", "MAJOR"):
        assert text in page
    for text in ("mem_low", "memory_free", "time(15 minute)", "value &lt; 100"):
        assert text in page
    assert "length(3)" not in page


def test_the_list_filters_by_name_and_metric(operator_client):
    _rule("cpu_high")
    _rule("mem_low", metric="memory_free")
    by_name = operator_client.get(reverse("rule-list"), {"name": "CPU"}).content.decode()
    assert "cpu_high" in by_name
    assert "mem_low" not in by_name
    by_metric = operator_client.get(reverse("rule-list"), {"metric": "memory"}).content.decode()
    assert "mem_low" in by_metric
    assert "cpu_high" not in by_metric


def test_operators_see_the_enabled_state_but_no_editing_controls(operator_client):
    rule = _rule()
    page = operator_client.get(reverse("rule-list")).content.decode()
    assert "Enabled" in page
    assert reverse("rule-toggle", args=[rule.pk]) not in page
    assert reverse("rule-create") not in page
    assert reverse("rule-import") not in page
    assert reverse("rule-detail", args=[rule.pk]) in page


def test_administrators_toggle_enabled_from_the_list(admin_client):
    rule = _rule()
    response = admin_client.post(
        reverse("rule-toggle", args=[rule.pk]), {"next": "/rules/?name=cpu"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/rules/?name=cpu"
    rule.refresh_from_db()
    assert rule.enabled is False
    admin_client.post(reverse("rule-toggle", args=[rule.pk]), {"next": "https://evil.example/"})
    rule.refresh_from_db()
    assert rule.enabled is True


def test_operators_read_a_rule_but_get_403_on_every_change(operator_client):
    rule = _rule()
    detail = operator_client.get(reverse("rule-detail", args=[rule.pk]))
    assert detail.status_code == 200
    assert "read-only" in detail.content.decode()
    assert 'id="save-rule"' not in detail.content.decode()
    forbidden = [
        ("get", reverse("rule-edit", args=[rule.pk]), {}),
        ("post", reverse("rule-edit", args=[rule.pk]), _form(name=rule.name)),
        ("get", reverse("rule-create"), {}),
        ("post", reverse("rule-create"), _form()),
        ("get", reverse("rule-delete", args=[rule.pk]), {}),
        ("post", reverse("rule-delete", args=[rule.pk]), {}),
        ("post", reverse("rule-toggle", args=[rule.pk]), {}),
        ("get", reverse("rule-import"), {}),
        ("post", reverse("rule-import"), _upload(_fixture("walkthrough_rules.xml"))),
    ]
    for method, url, data in forbidden:
        response = getattr(operator_client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert list(Rule.objects.values_list("name", "enabled", "expression")) == [
        ("cpu_high", True, "avg() > 90")
    ]


# --- editor -------------------------------------------------------------------------


def test_the_editor_creates_a_rule_from_valid_input(admin_client):
    response = admin_client.post(reverse("rule-create"), _form())
    rule = Rule.objects.get(name="disk_low")
    assert response.status_code == 302
    assert response["Location"] == reverse("rule-edit", args=[rule.pk])
    assert rule.window == "length(3)"  # the XML form of count(3)
    assert rule.user_expressions == [
        {"name": "free", "expression": "100 - value"},
        {"name": "low", "expression": "free < 10"},
    ]
    assert rule.tags == ["file_system", "mount_point"]
    assert rule.tags_grouping_strategy == "DEFINED_TAGS"
    assert rule.disable_entity_grouping is False
    assert (rule.time_filter_count, rule.time_filter_unit) == (5, "MINUTE")
    assert rule.discard_previous_values is True
    assert rule.leaving_events is False
    assert rule.severity == "CRITICAL"
    assert rule.filter == "tags.mount_point != '/tmp'"
    assert rule.last_updated is not None


def test_the_editor_shows_a_saved_rule_as_the_ui_writes_it(admin_client):
    admin_client.post(reverse("rule-create"), _form())
    rule = Rule.objects.get(name="disk_low")
    page = admin_client.get(reverse("rule-edit", args=[rule.pk])).content.decode()
    assert 'value="count(3)"' in page
    assert "free = 100 - value\nlow = free &lt; 10" in page
    assert 'value="file_system, mount_point"' in page


def test_saving_again_changes_nothing_but_the_save_time(admin_client):
    admin_client.post(reverse("rule-create"), _form(variables="x = 1 +\n  2\ny = x * 2"))
    rule = Rule.objects.get(name="disk_low")
    before = RuleSpec.from_model(rule)
    edit = admin_client.get(reverse("rule-edit", args=[rule.pk]))
    form = edit.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (False, None)}
    admin_client.post(reverse("rule-edit", args=[rule.pk]), data)
    after = RuleSpec.from_model(Rule.objects.get(pk=rule.pk))
    before.last_updated = after.last_updated
    assert after == before


def test_the_name_cannot_change_after_creation(admin_client):
    rule = _rule()
    response = admin_client.post(
        reverse("rule-edit", args=[rule.pk]), _form(name="renamed", expression="value > 1")
    )
    assert response.status_code == 302
    assert list(Rule.objects.values_list("name", "expression")) == [("cpu_high", "value > 1")]


def test_entity_grouping_off_and_check_on_exit_are_stored(admin_client):
    data = _form(group_by_entity="", leaving_events="on", window="time(1 minute)")
    data["tags_grouping_strategy"] = "NO_TAGS"
    admin_client.post(reverse("rule-create"), data)
    rule = Rule.objects.get(name="disk_low")
    assert rule.disable_entity_grouping is True
    assert rule.leaving_events is True
    assert rule.window == "time(1 minute)"
    assert rule.tags_grouping_strategy == "NO_TAGS"


BAD_INPUT = [
    pytest.param(
        {"expression": "value > ("},
        "expression",
        "unexpected end of expression at line 1, column 10",
        id="condition-syntax",
    ),
    pytest.param(
        {"expression": "value > 1 &&\n   )"},
        "expression",
        "unexpected &#x27;)&#x27; at line 2, column 4",
        id="condition-second-line",
    ),
    pytest.param(
        {"filter": "avg() > 10"},
        "filter",
        "statistical function &#x27;avg&#x27; is not allowed in a filter at line 1, column 1",
        id="filter-statistical",
    ),
    pytest.param(
        {"variables": "free = 100 - value\nratio = free / )"},
        "variables",
        "ratio: unexpected &#x27;)&#x27; at line 2, column 16",
        id="variable-syntax",
    ),
    pytest.param(
        {"variables": "2x = value"},
        "variables",
        "line 1: &#x27;2x&#x27; is not a valid variable name",
        id="variable-name",
    ),
    pytest.param(
        {"variables": "a = 1\na = 2"},
        "variables",
        "line 2: variable &#x27;a&#x27; is defined twice",
        id="variable-twice",
    ),
    pytest.param(
        {"variables": "value > 1"},
        "variables",
        "line 1: expected &#x27;name = expression&#x27;",
        id="variable-no-name",
    ),
    pytest.param({"window": "time(5 parsecs)"}, "window", "unknown unit", id="window-unit"),
    pytest.param({"window": "count(0)"}, "window", "count must be at least 1", id="window-zero"),
    pytest.param({"window": "length"}, "window", "is not length(N)", id="window-syntax"),
    pytest.param({"expression": ""}, "expression", "This field is required", id="no-condition"),
    pytest.param(
        {"grouping_tags": ""}, "grouping_tags", "List at least one tag name", id="listed-no-tags"
    ),
    pytest.param({"description": "bell \x07"}, "description", "U+0007", id="control-character"),
    pytest.param({"time_filter_count": "-1"}, "time_filter_count", "greater than", id="offset"),
]


def _field_block(page: str, field: str) -> str:
    """The markup of one editor field, up to the next field or the end of its section."""
    start = page.index(f'id="field-{field}"')
    ends = [page.find(marker, start + 1) for marker in ('id="field-', "</fieldset>")]
    return page[start : min(end for end in ends if end != -1)]


@pytest.mark.parametrize(("bad", "field", "message"), BAD_INPUT)
def test_bad_input_on_create_is_shown_at_its_field_and_saves_nothing(
    admin_client, bad, field, message
):
    response = admin_client.post(reverse("rule-create"), _form(**bad))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved" in page
    assert message in _field_block(page, field)
    assert not Rule.objects.exists()


@pytest.mark.parametrize(("bad", "field", "message"), BAD_INPUT)
def test_bad_input_on_edit_changes_nothing(admin_client, bad, field, message):
    rule = _rule()
    before = RuleSpec.from_model(rule)
    response = admin_client.post(reverse("rule-edit", args=[rule.pk]), _form(**bad))
    assert response.status_code == 200
    assert message in _field_block(response.content.decode(), field)
    assert RuleSpec.from_model(Rule.objects.get(pk=rule.pk)) == before


def test_every_error_of_one_save_is_shown(admin_client):
    bad = _form(expression="value >", filter="max() > 1", window="time(x)", variables="a = (")
    page = admin_client.post(reverse("rule-create"), bad).content.decode()
    for field in ("expression", "filter", "window", "variables"):
        assert "field-error" in _field_block(page, field), field


def test_unknown_functions_warn_but_save(admin_client):
    response = admin_client.post(
        reverse("rule-create"),
        _form(
            expression="db_baseline('avg', '1 hour', 7) > 0",
            variables="t = nosuch_fn('m')\nq = executeSqlQuery('m')",
        ),
        follow=True,
    )
    page = response.content.decode()
    assert Rule.objects.filter(name="disk_low").exists()
    assert "db_baseline at line 1, column 1: not run by the engine yet" in page
    assert "t: nosuch_fn at line 1, column 5: not run by the engine yet" in page
    assert "q: executeSqlQuery: not run (SQL queries are not executed on this server)" in page


def test_a_duplicate_name_is_refused(admin_client):
    _rule("disk_low")
    response = admin_client.post(reverse("rule-create"), _form())
    assert response.status_code == 200
    assert "already exists" in _field_block(response.content.decode(), "name")
    assert Rule.objects.count() == 1


def test_delete_asks_then_removes_the_rule(admin_client):
    rule = _rule()
    confirm = admin_client.get(reverse("rule-delete", args=[rule.pk]))
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Rule.objects.exists()
    response = admin_client.post(reverse("rule-delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not Rule.objects.exists()


def test_missing_rules_are_404(admin_client):
    for name in ("rule-edit", "rule-detail", "rule-delete", "rule-export-one"):
        assert admin_client.get(reverse(name, args=[999])).status_code == 404


@pytest.mark.parametrize(
    "variables",
    [
        [],
        [{"name": "a", "expression": "1"}],
        [{"name": "a", "expression": "1 +\n  2"}, {"name": "b", "expression": "a\n// c\n* 3"}],
    ],
)
def test_variables_text_round_trips(variables):
    parsed, errors = parse_variables(variables_to_text(variables))
    assert errors == []
    back = [{"name": v.name, "expression": v.expression} for v in parsed]
    assert [v["name"] for v in back] == [v["name"] for v in variables]
    # Continuation lines gain an indent; whitespace outside strings means nothing.
    for got, want in zip(back, variables, strict=True):
        assert got["expression"].split() == want["expression"].split()


# --- import -------------------------------------------------------------------------


def _import(client, data: bytes, *, auto_enable: bool = True, name: str = "rules.xml"):
    extra = {"auto_enable": "on"} if auto_enable else {}
    return client.post(reverse("rule-import"), _upload(data, name, **extra))


def _row(page: str, rule: str) -> str:
    start = page.index(f'data-rule="{rule}"')
    return page[start : page.index("</tr>", start)]


def test_the_import_page_offers_auto_enable(admin_client):
    page = admin_client.get(reverse("rule-import")).content.decode()
    assert "Auto-enable New Rules" in page
    assert 'type="file"' in page


def test_walkthrough_import_with_auto_enable_creates_an_enabled_rule(admin_client):
    response = _import(admin_client, _fixture("walkthrough_rules.xml"))
    assert response.status_code == 200
    page = response.content.decode()
    row = _row(page, WALKTHROUGH)
    assert ">created<" in row
    assert ">enabled<" in row
    assert "imported as in the file" in row  # its web notification runs: nothing to note
    assert "Imported: 1 created, 0 replaced" in page
    rule = Rule.objects.get(name=WALKTHROUGH)
    assert rule.enabled is True
    assert rule.window == "time(15 minute)"


def test_auto_enable_enables_rules_disabled_in_the_file(admin_client):
    data = _fixture("walkthrough_rules.xml").replace(
        b"<enabled>true</enabled>", b"<enabled>false</enabled>"
    )
    page = _import(admin_client, data, auto_enable=False).content.decode()
    assert ">disabled<" in _row(page, WALKTHROUGH)
    assert Rule.objects.get(name=WALKTHROUGH).enabled is False
    page = _import(admin_client, data, auto_enable=True).content.decode()
    assert ">replaced<" in _row(page, WALKTHROUGH)
    assert ">enabled<" in _row(page, WALKTHROUGH)
    assert Rule.objects.get(name=WALKTHROUGH).enabled is True


def test_importing_again_replaces_the_rule(admin_client):
    _import(admin_client, _fixture("walkthrough_rules.xml"))
    first = Rule.objects.get(name=WALKTHROUGH)
    first.expression = "value > 1"
    first.save()
    page = _import(admin_client, _fixture("walkthrough_rules.xml")).content.decode()
    assert ">replaced<" in _row(page, WALKTHROUGH)
    again = Rule.objects.get(name=WALKTHROUGH)
    assert again.pk == first.pk
    assert again.expression == "avg() > 10 || max() > 85"


def test_a_file_with_a_broken_rule_saves_nothing_and_names_it(admin_client):
    _rule("mem_low", expression="value < 5")
    response = _import(admin_client, _fixture("one_broken_among_valid.xml"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "disk_low" in page[: page.index("</p>", page.index("Nothing was saved"))]
    row = _row(page, "disk_low")
    assert ">failed<" in row
    assert "&lt;window&gt;: &#x27;time(5 parsecs)&#x27;: unknown unit" in row
    assert "&lt;enabled&gt;" in row
    assert ">failed<" in _row(page, "#4")
    assert list(Rule.objects.values_list("name", "expression")) == [("mem_low", "value < 5")]


def test_a_broken_expression_in_a_file_is_named_with_its_position(admin_client):
    data = _fixture("walkthrough_rules.xml").replace(b"avg() > 10 ||", b"avg( > 10 ||")
    page = _import(admin_client, data).content.decode()
    row = _row(page, WALKTHROUGH)
    assert "&lt;expression&gt;" in row
    assert "line 1, column" in row
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("billion_laughs.xml", "entity declarations are not allowed"),
        ("external_entity.xml", "external entities are never loaded"),
        ("not_xml.xml", "not well-formed XML"),
        ("wrong_root.xml", "expected &lt;rules&gt;"),
    ],
)
def test_hostile_or_malformed_uploads_get_a_clear_message(admin_client, fixture, message):
    response = _import(admin_client, _fixture(fixture))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The file was not imported" in page
    assert message in page
    assert 'type="file"' in page  # back on the upload form
    assert not Rule.objects.exists()


def test_empty_and_missing_uploads_are_refused(admin_client):
    page = _import(admin_client, b"").content.decode()
    assert "The submitted file is empty" in page
    page = admin_client.post(reverse("rule-import"), {"auto_enable": "on"}).content.decode()
    assert "This field is required" in page
    page = _import(admin_client, b"<rules/>").content.decode()
    assert "holds no &lt;rule&gt; elements" in page


def test_an_oversize_upload_is_refused_before_parsing(admin_client, settings):
    settings.RULES_IMPORT_MAX_BYTES = 100
    page = _import(admin_client, _fixture("walkthrough_rules.xml")).content.decode()
    assert "larger than the import limit of 100 bytes" in page
    assert not Rule.objects.exists()


# --- export -------------------------------------------------------------------------


# --- bounds: what the engine would refuse is refused at save and at import ------------------
# Before: the editor and import took time(1.5 minute), which the engine then refused
# (the rule never ran), and length(1000000000) or a century-long window, which the
# engine accepted and let grow without bound.

REFUSED = [
    pytest.param("window", "length(1000000000)", "(RULE_MAX_WINDOW_COUNT)", id="billion-samples"),
    pytest.param("window", "time(100 year)", "(RULE_MAX_WINDOW_SECONDS)", id="century"),
    pytest.param("window", "time(1.5 minute)", "with a whole N", id="fractional"),
    pytest.param(
        "entity_filter",
        "web-* " + "a" * 1025 + "*",
        "(WILDCARD_PATTERN_MAX_LENGTH)",
        id="long-pattern",
    ),
]
XML_ELEMENT = {"window": "window", "entity_filter": "entityFilter"}


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_windows_and_patterns_the_engine_refuses_are_refused_at_save(
    admin_client, field, value, message
):
    response = admin_client.post(reverse("rule-create"), _form(**{field: value}))
    assert response.status_code == 200
    assert message in _field_block(response.content.decode(), field)
    assert not Rule.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_windows_and_patterns_the_engine_refuses_are_refused_at_import(
    admin_client, field, value, message
):
    element = XML_ELEMENT[field]
    data = re.sub(
        rf"<{element}>[^<]*</{element}>".encode(),
        f"<{element}>{value}</{element}>".encode(),
        _fixture("walkthrough_rules.xml"),
    )
    row = _row(_import(admin_client, data).content.decode(), WALKTHROUGH)
    assert ">failed<" in row
    assert f"&lt;{element}&gt;" in row
    assert message in row
    assert not Rule.objects.exists()


def _import_corpus(client) -> None:
    for name in ("walkthrough_rules.xml", "user_expressions_rule.xml", "message_rule.xml"):
        assert _import(client, _fixture(name), auto_enable=False).status_code == 200
    assert Rule.objects.count() == 3


def _download(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="rules.xml"'
    assert response["Content-Type"].startswith("application/xml")
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_export_all_round_trips_through_the_import_page(admin_client):
    _import_corpus(admin_client)
    before = _specs()
    exported = _download(admin_client.get(reverse("rule-export"), {"all": "1"}))
    assert sorted(s.name for s in read_rules(exported)) == sorted(before)
    Rule.objects.all().delete()
    page = _import(admin_client, exported, auto_enable=False).content.decode()
    assert "Imported: 3 created" in page
    assert _specs() == before


def test_export_selected_holds_only_those_rules_and_round_trips(admin_client, operator):
    _import_corpus(admin_client)
    operator_client = Client()  # admin_client and operator_client share one client
    operator_client.force_login(operator)
    chosen = Rule.objects.exclude(name=WALKTHROUGH)
    before = {name: spec for name, spec in _specs().items() if name != WALKTHROUGH}
    ids = [str(pk) for pk in chosen.values_list("pk", flat=True)]
    # Operators may export too: it changes nothing.
    exported = _download(operator_client.get(reverse("rule-export"), {"id": [*ids, "x", "²"]}))
    assert sorted(s.name for s in read_rules(exported)) == sorted(before)
    chosen.delete()
    _import(admin_client, exported, auto_enable=False)
    after = _specs()
    assert {name: after[name] for name in before} == before


def test_export_one_rule_from_its_page(admin_client):
    _import_corpus(admin_client)
    rule = Rule.objects.get(name=WALKTHROUGH)
    page = admin_client.get(reverse("rule-edit", args=[rule.pk])).content.decode()
    assert reverse("rule-export-one", args=[rule.pk]) in page
    exported = _download(admin_client.get(reverse("rule-export-one", args=[rule.pk])))
    [spec] = read_rules(exported)
    assert spec == RuleSpec.from_model(rule)


def test_export_selected_without_a_selection_explains(operator_client):
    _rule()
    response = operator_client.get(reverse("rule-export"), follow=True)
    assert "Select the rules to export" in response.content.decode()
    response = operator_client.get(reverse("rule-export"), {"id": "99999999999999999999"})
    assert response.status_code == 302
