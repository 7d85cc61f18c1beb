"""jsonPathFilter and jsonToLists (spec §4.6 MAY, as the corpus uses them)."""

from __future__ import annotations

import json

import pytest

from rules.expressions.errors import EvaluationError
from tests.unit.expressions.helpers import ev

# The shape of the GitHub GraphQL answer the corpus rule github-daily-pr-status reads.
PULLS = json.dumps(
    {"data": {"repository": {"pullRequests": {"nodes": [
        {"title": "Fix", "number": 1, "mergeable": "MERGEABLE",
         "author": {"login": "ann"},
         "pullRequestcommits": {"nodes": [{"commit": {"status": {"state": "SUCCESS"}}}]}},
        {"title": "Draft", "number": 2, "mergeable": "CONFLICTING", "author": {"login": "bob"},
         "pullRequestcommits": {"nodes": [{"commit": {"status": {"state": "SUCCESS"}}}]}},
        {"title": "Red", "number": 3, "mergeable": "MERGEABLE", "author": {"login": "cy"},
         "pullRequestcommits": {"nodes": [{"commit": {"status": {"state": "FAILURE"}}}]}},
    ]}}}}
)  # fmt: skip
CORPUS_PATH = (
    "$..pullRequests.nodes[?(@.mergeable == 'MERGEABLE' && "
    "@.pullRequestcommits.nodes[0].commit.status.state == 'SUCCESS')]"
)


def test_json_path_filter_with_the_corpus_filter():
    found = json.loads(ev("jsonPathFilter(j, p)", {"j": PULLS, "p": CORPUS_PATH}))
    assert [pr["number"] for pr in found] == [1]


def test_json_path_filter_selects_values_and_takes_maps():
    assert ev("jsonPathFilter(j, '$..author.login')", {"j": PULLS}) == '["ann", "bob", "cy"]'
    assert ev("jsonPathFilter(['a': ['b': 2]], '$.a.b')") == "[2]"
    assert ev("jsonPathFilter('[]', '$[*]')") == "[]"


def test_json_to_lists_makes_a_header_and_rows():
    text = '[{"n": 1, "who": {"login": "ann"}}, {"n": 2, "extra": [1, 2]}]'
    assert ev("jsonToLists(j)", {"j": text}) == [
        ["n", "who.login", "extra"],
        ["1", "ann", ""],
        ["2", "", "[1, 2]"],
    ]
    assert ev("jsonToLists('{\"a\": true}')") == [["a"], ["true"]]
    assert ev("jsonToLists('[1, 2]')") == [["value"], ["1"], ["2"]]


def test_the_corpus_chain_renders_a_table_with_a_header():
    table = ev(
        "addTable(jsonToLists(jsonPathFilter(j, p)), 'ascii', true)", {"j": PULLS, "p": CORPUS_PATH}
    )
    lines = table.splitlines()
    assert lines[1].startswith("| title | number | mergeable | author.login |")
    assert "| Fix   | 1      | MERGEABLE | ann          |" in lines[3]
    assert len(lines) == 5  # border, header, border, one row, border


def test_bad_json_and_bad_paths_are_errors():
    with pytest.raises(EvaluationError, match="not JSON"):
        ev("jsonToLists('{nope')")
    with pytest.raises(EvaluationError, match="invalid path"):
        ev("jsonPathFilter('[]', '$[?(')")
