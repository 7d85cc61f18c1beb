"""The registry of channel kinds is the one table the rest of notifications derives from:
every kind that sends has its form, transport, XML mapping and tests."""

from pathlib import Path

import pytest

from notifications.channels.base import Transport, TransportError
from notifications.channels.form import EndpointForm, form_for
from notifications.channels.registry import (
    KINDS,
    PLANNED,
    STORE_ONLY,
    SUPPORTED,
    choices,
    get_kind,
)
from notifications.channels.xml import EndpointXml, mapping_for
from notifications.models import Endpoint

SENDABLE = [kind for kind in KINDS.values() if kind.sendable]
CHANNEL_TESTS = Path(__file__).resolve().parent
# What each sendable kind's folder of tests holds: one module per part of the contract.
TEST_MODULES = ("test_transport.py", "test_form.py", "test_xml.py")


def test_it_lists_every_kind_of_the_spec_and_teams() -> None:
    assert set(KINDS) == {
        "HIPCHAT", "SLACK", "TELEGRAM", "DISCORD", "TEAMS", "WEBHOOK", "CUSTOM",
        "AWS-API", "AWS-SNS", "AWS-SQS", "AZURE-SB", "GCP-PS",
    }  # fmt: skip
    assert [kind for kind, _ in choices()] == list(KINDS)
    assert Endpoint._meta.get_field("kind").choices == choices()


def test_only_aws_api_is_store_only_and_nothing_is_planned() -> None:
    assert {k.kind for k in KINDS.values() if k.status == STORE_ONLY} == {
        "AWS-API",
    }  # fmt: skip
    assert {k.kind for k in KINDS.values() if k.status == PLANNED} == set()
    assert [k.kind for k in SENDABLE] == [k.kind for k in KINDS.values() if k.status == SUPPORTED]


@pytest.mark.parametrize("kind", SENDABLE, ids=lambda k: k.kind)
def test_every_sendable_kind_has_a_transport_a_form_and_an_xml_mapping(kind) -> None:
    transport = Endpoint(kind=kind.kind).transport_class()
    assert issubclass(transport, Transport)
    assert transport.send_text is not Transport.send_text
    if kind.sends_files:
        assert transport.send_file is not Transport.send_file

    form = form_for(kind.kind)
    assert issubclass(form, EndpointForm)
    assert form.kind == kind.kind
    assert set(form.parameter_keys()) == set(kind.parameters) | set(kind.secret_parameters)

    mapping = mapping_for(kind.kind)
    assert isinstance(mapping, EndpointXml)
    assert mapping.kind == kind.kind


@pytest.mark.parametrize("kind", SENDABLE, ids=lambda k: k.kind)
def test_every_sendable_kind_has_tests_of_its_own(kind) -> None:
    folder = CHANNEL_TESTS / kind.kind.lower().replace("-", "_")
    assert set(TEST_MODULES) <= {p.name for p in folder.glob("test_*.py")}


@pytest.mark.parametrize(
    "kind", [k for k in KINDS.values() if k.status == STORE_ONLY], ids=lambda k: k.kind
)
def test_store_only_kinds_have_a_form_and_an_xml_mapping_but_no_transport(kind) -> None:
    form = form_for(kind.kind)
    assert form.kind == kind.kind
    assert set(form.parameter_keys()) == set(kind.parameters) | set(kind.secret_parameters)
    assert mapping_for(kind.kind).kind == kind.kind
    assert kind.transport == ""
    with pytest.raises(TransportError, match=r"cannot send \(store-only\)"):
        Endpoint(kind=kind.kind).transport()


def test_hipchat_declares_its_parameters_and_secrets() -> None:
    hipchat = get_kind("hipchat")
    assert hipchat.sends_files
    assert {"message", "message_format", "notify", "from", "room"} <= set(hipchat.parameters)
    assert set(hipchat.secret_parameters) == {"auth_token", "notification_token", "message_token"}


def test_slack_declares_its_parameters_and_token() -> None:
    slack = get_kind("slack")
    assert slack.sends_files
    assert set(slack.parameters) == {
        "channels", "username", "text", "parse", "link_names", "details_table_format",
    }  # fmt: skip
    assert slack.secret_parameters == ("token",)


def test_discord_keeps_its_webhook_id_and_token_secret() -> None:
    discord = get_kind("discord")
    assert discord.sends_files
    assert set(discord.parameters) == {"content", "username"}
    assert set(discord.secret_parameters) == {"webhook_id", "webhook_token"}


def test_teams_keeps_its_signed_webhook_url_secret_and_takes_no_files() -> None:
    teams = get_kind("teams")
    assert teams.label == "Microsoft Teams"
    assert not teams.sends_files
    assert teams.secret_parameters == ("webhook_url",)
