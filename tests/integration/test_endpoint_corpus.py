"""Conformance (issue 14, Done when): every endpoint element of the public ATSD exports
imports, and re-exports to the same model: the element written back carries every field,
tree-map entry and editable key the original had, and importing it again gives the same
endpoint.

The corpus (third-party data from axibase/atsd and axibase/atsd-use-cases) lives
outside the project in ../shared/fixtures and is never copied into it. Without the
folder the tests skip, except in CI (environment variable CI=true), where a missing
corpus is a failure.
"""

import copy
import os
import re
from pathlib import Path

import pytest
from lxml import etree

from notifications.endpoints.xml import export_endpoints, import_endpoints
from notifications.models import Endpoint

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
CORPUS_DIRS = ("atsd", "atsd-use-cases")
EXPECTED_ENDPOINT_FILES = 17
EXPECTED_ENDPOINT_ELEMENTS = 17
PACKAGE = "com.axibase.tsd.model.notifications."
KIND_OF_CLASS = {
    "WebNotificationConfig": "CUSTOM",
    "AwsApiNotificationConfig": "AWS-API",
    "AzureServiceBusWebNotificationConfig": "AZURE-SB",
    "GcpPubSubWebNotificationConfig": "GCP-PS",
}
SNAPSHOT_FIELDS = (
    "name", "kind", "enabled", "description", "base_url", "proxy_url", "proxy_username",
    "proxy_password", "ignore_ssl_errors", "ca_bundle", "log_response", "test_portal",
    "parameters",
)  # fmt: skip
# Our additions to ATSD's shape (spec §2.6): allowed in an export even when the original lacks them.
OUR_TAGS = {"type"}

_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _corpus_present() -> bool:
    return all((CORPUS / d).is_dir() for d in CORPUS_DIRS)


def _require_corpus() -> None:
    if _corpus_present():
        return
    missing = [str(CORPUS / d) for d in CORPUS_DIRS if not (CORPUS / d).is_dir()]
    message = f"ATSD endpoint corpus not found: {', '.join(missing)}"
    if _in_ci():
        pytest.fail(f"{message} (required when CI=true)")
    pytest.skip(message)


def _root_name(path: Path) -> str:
    match = _FIRST_ELEMENT.search(path.read_bytes())
    return match.group(1).decode() if match else ""


def _endpoint_files() -> list[Path]:
    files = [p for d in CORPUS_DIRS for p in sorted((CORPUS / d).glob("*.xml"))]
    return [p for p in files if _root_name(p) == "list"]


def _elements(path: Path) -> list[etree._Element]:
    return [e for e in etree.fromstring(path.read_bytes()) if isinstance(e.tag, str)]


def _params() -> list:
    if not _corpus_present():
        return [pytest.param(None, 0, id="corpus-missing")]
    params = []
    for path in _endpoint_files():
        for index, element in enumerate(_elements(path)):
            ident = f"{path.parent.name}/{path.name}:{element.findtext('name')}"
            params.append(pytest.param(path, index, id=ident))
    return params


def _text(element: etree._Element) -> str:
    return (element.text or "").replace("\r\n", "\n")


def _shape(element: etree._Element) -> dict:
    """What an element says, independent of layout: its class, leaf fields, tree-map
    entries in order and editable keys (CRLF as LF, as the model stores text)."""
    leaves = {
        str(child.tag): _text(child)
        for child in element
        if isinstance(child.tag, str) and len(child) == 0
    }
    container = element.find("parameters")
    entries = [
        tuple(_text(s) for s in entry.findall("string"))
        for entry in (container.findall("entry") if container is not None else [])
    ]
    exposed_element = element.find("exposedTableModelParams")
    exposed = (
        {_text(s) for s in exposed_element.findall("string")}
        if exposed_element is not None
        else None
    )
    return {"class": element.tag, "leaves": leaves, "entries": entries, "exposed": exposed}


def _snapshot(endpoint: Endpoint) -> dict:
    return {f: getattr(endpoint, f) for f in SNAPSHOT_FIELDS}


def test_the_corpus_has_every_expected_endpoint_file_and_element():
    _require_corpus()
    files = _endpoint_files()
    assert len(files) == EXPECTED_ENDPOINT_FILES, [f.name for f in files]
    assert sum(len(_elements(f)) for f in files) == EXPECTED_ENDPOINT_ELEMENTS


def test_a_missing_corpus_fails_under_ci(monkeypatch):
    monkeypatch.setattr(f"{__name__}.CORPUS", Path("/nonexistent/shared/fixtures"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required when CI=true"):
        _require_corpus()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="corpus not found"):
        _require_corpus()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "index"), _params())
def test_every_corpus_endpoint_imports_and_re_exports_to_the_same_model(path, index):
    _require_corpus()
    original = _elements(path)[index]
    name = original.findtext("name")
    alone = etree.Element("list")
    alone.append(copy.deepcopy(original))

    report = import_endpoints(etree.tostring(alone))
    assert [(i.name, i.outcome) for i in report.items] == [(name, "created")], report.items
    class_name = str(original.tag).removeprefix(PACKAGE)
    assert (report.items[0].class_name, report.items[0].kind) == (
        class_name,
        KIND_OF_CLASS[class_name],
    )
    imported = Endpoint.objects.get(name=name)
    before = _snapshot(imported)

    [exported] = etree.fromstring(export_endpoints([imported], include_secrets=True))
    want, got = _shape(original), _shape(exported)
    assert got["class"] == want["class"]
    for tag, text in want["leaves"].items():
        assert got["leaves"].get(tag, "") == text, tag
    added = {t: v for t, v in got["leaves"].items() if t not in want["leaves"] and v}
    assert set(added) <= OUR_TAGS, added
    assert got["entries"] == want["entries"]
    if want["exposed"] is not None:
        assert got["exposed"] == want["exposed"]

    Endpoint.objects.all().delete()
    again = import_endpoints(etree.tostring(exported.getparent()))
    assert [(i.name, i.outcome) for i in again.items] == [(name, "created")]
    assert _snapshot(Endpoint.objects.get(name=name)) == before
