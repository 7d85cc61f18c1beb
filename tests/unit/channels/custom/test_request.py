"""Custom request templates filled for one trigger: rule keys, and every value escaped
for where it lands (spec §5.1, §7.5)."""

import json
from urllib.parse import parse_qsl

from notifications.channels.custom.request import FORM, JSON, render_request, rule_keys
from tests.unit.channels.custom.helpers import SERVER, renderer


def _fill(**parameters: str) -> dict[str, str]:
    return render_request({"content_type": JSON, **parameters}, renderer())


def test_rule_keys_are_the_placeholders_then_the_form_fields():
    url = "https://ci.example.org/project/${project_name}/tree/${branch}"
    assert rule_keys(url, '{"a": "${detailsTable(\'ascii\')}"}', JSON) == [
        "project_name", "branch", "detailsTable('ascii')",
    ]  # fmt: skip
    body = "MessageBody=%7B%22s%22%3A%22%24%7Bstatus%7D%22%7D&QueueUrl=q"
    assert rule_keys("https://sqs.us-east-1.amazonaws.com", body, FORM) == [
        "status", "MessageBody", "QueueUrl",
    ]  # fmt: skip


def test_url_placeholders_are_url_encoded_and_rule_values_are_templates():
    filled = _fill(
        url="https://api.example.org/${project}/${entity}?m=${tags}", project="a b/${entity}"
    )
    assert filled["url"] == (
        "https://api.example.org/a%20b%2Fnurswgvml007/nurswgvml007"
        "?m=%7Bfile_system%3D%2Fdev%2Fsda1%2C%20mount_point%3D%2F%7D"
    )


def test_json_body_values_are_escaped_so_the_body_stays_json():
    body = '{"title": "${incident_name}", "details": "${detailsTable(\'ascii\')}", "v": ${value}}'
    filled = _fill(url="https://x.example.org", body=body, incident_name='say "hi"\n${rule}')
    document = json.loads(filled["body"])
    assert document["title"] == 'say "hi"\ndisk_low'
    assert "nurswgvml007" in document["details"]  # the empty key evaluates itself
    assert document["v"] == 85.5


def test_legacy_table_names_and_links_fill_a_json_body():
    filled = _fill(
        url="https://x.example.org", body='{"t": "${markdownDetailsTable}", "l": "${ruleLink}"}'
    )
    document = json.loads(filled["body"])
    assert document["t"].startswith("|")
    assert document["l"] == f"{SERVER}/rule/edit.xhtml?name=disk_low"


def test_a_form_body_is_decoded_filled_and_encoded_again_with_rule_overrides():
    body = "Action=SendMessage&MessageBody=%24%7Bstatus%7D%20on%20%24%7Bentity%7D&Fixed=a%26b"
    filled = render_request(
        {"content_type": FORM, "url": "https://sqs.example.org", "body": body, "Fixed": "${rule}"},
        renderer(),
    )
    assert parse_qsl(filled["body"]) == [
        ("Action", "SendMessage"), ("MessageBody", "OPEN on nurswgvml007"), ("Fixed", "disk_low"),
    ]  # fmt: skip


def test_header_values_cannot_break_into_new_headers():
    filled = _fill(url="https://x.example.org", headers="X-Title: ${t}", t="a\r\nX-Evil: 1")
    assert filled["headers"] == "X-Title: a X-Evil: 1"
