"""Conformance: every public ATSD endpoint export (root ``<list>``) is read and each of
its endpoints is reported, by name, as imported or unsupported.

The corpus (third-party data from axibase/atsd and axibase/atsd-use-cases) lives
outside the project in ../shared/fixtures and is never copied into it. Without
the folder the tests skip, except in CI (environment variable CI set), where a
missing corpus is a failure.
"""

import os
import re
from pathlib import Path

import pytest
from lxml import etree

from notifications.endpoints.xml import import_endpoints
from notifications.models import Endpoint

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
CORPUS_DIRS = ("atsd", "atsd-use-cases")
EXPECTED_ENDPOINT_FILES = 17

_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _root_name(path: Path) -> str:
    match = _FIRST_ELEMENT.search(path.read_bytes())
    return match.group(1).decode() if match else ""


def _endpoint_files() -> list[Path]:
    files = [p for d in CORPUS_DIRS for p in sorted((CORPUS / d).glob("*.xml"))]
    return [p for p in files if _root_name(p) == "list"]


def _require_corpus() -> None:
    missing = [str(CORPUS / d) for d in CORPUS_DIRS if not (CORPUS / d).is_dir()]
    if not missing:
        return
    message = f"ATSD endpoint corpus not found: {', '.join(missing)}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (required when CI is set)")
    pytest.skip(message)


def _params() -> list:
    if not all((CORPUS / d).is_dir() for d in CORPUS_DIRS):
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in _endpoint_files()]


def test_the_corpus_has_every_expected_endpoint_file():
    _require_corpus()
    files = _endpoint_files()
    assert len(files) == EXPECTED_ENDPOINT_FILES, [f.name for f in files]


@pytest.mark.django_db
@pytest.mark.parametrize("path", _params())
def test_every_endpoint_in_the_file_is_reported_by_name(path):
    _require_corpus()
    data = path.read_bytes()
    elements = [e for e in etree.fromstring(data) if isinstance(e.tag, str)]
    names = [e.findtext("name") for e in elements]
    report = import_endpoints(data)
    assert [i.name for i in report.items] == names
    for item, element in zip(report.items, elements, strict=True):
        assert item.outcome in ("created", "updated", "unsupported"), item
        assert item.class_name == str(element.tag).rpartition(".")[2]
        if item.outcome == "unsupported":
            assert item.reason, item
    # No public export has a HIPCHAT endpoint (spec §2.6): all are CUSTOM or cloud kinds.
    assert {i.kind for i in report.items} <= {"CUSTOM", "AWS-API", "AZURE-SB", "GCP-PS"}
    # CUSTOM endpoints (ATSD's ready-made templates among them) import; each is stored.
    assert all(i.outcome == "created" for i in report.items if i.kind == "CUSTOM")
    assert Endpoint.objects.count() == len(report.imported)
