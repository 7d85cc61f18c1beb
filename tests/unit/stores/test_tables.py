"""Replacement tables and named collections (text forms, XML files, pages, reads) and
the read-only Messages and Properties pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rules.ingest.commands import parse_command
from rules.models import NamedCollection, ReplacementTable
from rules.stores import messages, properties, tables
from rules.stores.service import DatabaseStores

pytestmark = pytest.mark.django_db


def test_key_value_lines_keep_order_and_the_last_repeated_key_wins():
    text = "# on call\nmary=555-0101\n\nbob = 555-0102\nmary=555-0199\nurl=a=b\n"
    assert tables.parse_entries(text) == [["mary", "555-0199"], ["bob", "555-0102"], ["url", "a=b"]]
    assert tables.entries_text([["a", "1"], ["b", "2"]]) == "a=1\nb=2"


@pytest.mark.parametrize("text", ["no equals sign", "=value without key"])
def test_a_line_that_is_not_key_value_is_refused_by_number(text):
    with pytest.raises(tables.TableError, match="line 2: expected key=value"):
        tables.parse_entries(f"a=1\n{text}")


def test_collection_lines_are_items():
    assert tables.parse_items(" SVL \n\nNUR\n") == ["SVL", "NUR"]


def test_tables_round_trip_through_their_xml_file():
    ReplacementTable.objects.create(name="oncall", description="who", entries=[["mary", "1"]])
    data = tables.tables_xml(list(ReplacementTable.objects.all()))
    ReplacementTable.objects.all().delete()
    result = tables.import_tables(data)
    assert (result.created, result.replaced) == (["oncall"], [])
    table = ReplacementTable.objects.get()
    assert (table.description, table.entries) == ("who", [["mary", "1"]])
    assert tables.import_tables(data).replaced == ["oncall"]


def test_collections_round_trip_through_their_xml_file():
    NamedCollection.objects.create(name="dc", items=["SVL", "NUR"])
    data = tables.collections_xml(list(NamedCollection.objects.all()))
    NamedCollection.objects.all().delete()
    tables.import_collections(data)
    assert NamedCollection.objects.get(name="dc").items == ["SVL", "NUR"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<namedCollections/>", "expected a <replacementTables> document"),
        (b"<replacementTables><x/></replacementTables>", "unexpected <x>"),
        (b"<replacementTables><replacementTable><name/></replacementTable></replacementTables>",
         "a name is required"),
        (b"<replacementTables><replacementTable><name>t</name><text>oops</text>"
         b"</replacementTable></replacementTables>", "line 1: expected key=value"),
        (b"<replacementTables>", "not well-formed|Premature end"),
    ],
)  # fmt: skip
def test_a_bad_file_imports_nothing_and_says_why(data, reason):
    with pytest.raises(tables.TableError, match=reason):
        tables.import_tables(data)
    assert not ReplacementTable.objects.exists()


def test_an_import_is_all_or_nothing():
    data = (
        b"<replacementTables><replacementTable><name>good</name><text>a=1</text>"
        b"</replacementTable><replacementTable><name>bad</name><text>oops</text>"
        b"</replacementTable></replacementTables>"
    )
    with pytest.raises(tables.TableError, match="replacement table 2"):
        tables.import_tables(data)
    assert not ReplacementTable.objects.exists()


def test_reads_give_maps_lists_or_none():
    ReplacementTable.objects.create(name="oncall", entries=[["mary", "1"]])
    NamedCollection.objects.create(name="dc", items=["SVL"])
    stores = DatabaseStores(ttl_s=60, max_entries=10)
    assert stores.replacement_table("oncall") == {"mary": "1"}
    assert stores.replacement_table("missing") is None
    assert stores.collection("dc") == ("SVL",)
    assert stores.collection("missing") is None


# -- pages -----------------------------------------------------------------------------------


def test_an_administrator_creates_edits_exports_and_imports_a_table(admin_client):
    url = reverse("replacement-table-create")
    response = admin_client.post(url, {"name": "oncall", "description": "", "text": "mary=1"})
    assert response.status_code == 302
    table = ReplacementTable.objects.get(name="oncall")
    edit = reverse("replacement-table-edit", args=[table.pk])
    assert "mary=1" in admin_client.get(edit).content.decode()
    admin_client.post(edit, {"name": "oncall", "description": "d", "text": "mary=2\nbob=3"})
    table.refresh_from_db()
    assert table.entries == [["mary", "2"], ["bob", "3"]]

    exported = admin_client.get(reverse("replacement-table-export")).content
    table.delete()
    upload = SimpleUploadedFile("t.xml", exported, content_type="application/xml")
    admin_client.post(reverse("replacement-table-import"), {"file": upload})
    assert ReplacementTable.objects.get(name="oncall").entries == [["mary", "2"], ["bob", "3"]]
    assert "oncall" in admin_client.get(reverse("replacement-table-list")).content.decode()


def test_the_form_names_the_bad_line_and_saves_nothing(admin_client):
    response = admin_client.post(reverse("replacement-table-create"), {"name": "t", "text": "SVL"})
    assert "line 1: expected key=value" in response.content.decode()
    assert not ReplacementTable.objects.exists()


def test_a_name_in_use_is_refused(admin_client):
    NamedCollection.objects.create(name="dc", items=["SVL"])
    response = admin_client.post(reverse("named-collection-create"), {"name": "dc", "text": "x"})
    assert "exists already" in response.content.decode()


def test_operators_read_and_export_but_do_not_edit(operator_client):
    NamedCollection.objects.create(name="dc", items=["SVL"])
    assert operator_client.get(reverse("named-collection-list")).status_code == 200
    assert b"<item>SVL</item>" in operator_client.get(reverse("named-collection-export")).content
    response = operator_client.post(reverse("named-collection-create"), {"name": "x", "text": "y"})
    assert response.status_code == 403


def test_the_messages_and_properties_pages_show_what_is_stored(operator_client):
    events = parse_command("message e:srv1 t:type=backup m:done", 1000)
    events += parse_command("property e:srv1 t:cfg k:id=1 v:os=linux", 1000)
    messages.record(events)
    properties.record(events)
    page = operator_client.get(reverse("message-list"), {"q": "backup"}).content.decode()
    assert "done" in page
    assert "done" not in operator_client.get(reverse("message-list"), {"q": "zzz"}).content.decode()
    assert "os=linux" in operator_client.get(reverse("property-list")).content.decode()
