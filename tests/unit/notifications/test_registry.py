"""The registry of endpoint kinds is the one list the rest of the app derives from."""

from notifications.transports.base import Transport
from notifications.transports.registry import (
    KINDS,
    PLANNED,
    STORE_ONLY,
    SUPPORTED,
    choices,
    get_kind,
)


def test_it_lists_every_kind_of_the_spec() -> None:
    assert set(KINDS) == {
        "HIPCHAT", "SLACK", "TELEGRAM", "DISCORD", "WEBHOOK", "CUSTOM",
        "AWS-API", "AWS-SNS", "AWS-SQS", "AZURE-SB", "GCP-PS",
    }  # fmt: skip
    assert [kind for kind, _ in choices()] == list(KINDS)


def test_every_supported_kind_has_a_transport_class() -> None:
    for kind in KINDS.values():
        if kind.status == SUPPORTED:
            assert issubclass(kind.transport_class(), Transport)
        else:
            assert kind.transport == ""
            assert not kind.sendable


def test_it_flags_store_only_and_planned_kinds() -> None:
    assert {k.kind for k in KINDS.values() if k.status == STORE_ONLY} == {
        "AWS-API", "AWS-SNS", "AWS-SQS", "AZURE-SB", "GCP-PS",
    }  # fmt: skip
    assert {k.kind for k in KINDS.values() if k.status == PLANNED} == {
        "SLACK", "TELEGRAM", "DISCORD", "WEBHOOK", "CUSTOM",
    }  # fmt: skip


def test_hipchat_declares_its_parameters_and_secrets() -> None:
    hipchat = get_kind("hipchat")
    assert hipchat.image_capable
    assert {"message", "message_format", "notify", "from", "room"} <= set(hipchat.parameters)
    assert set(hipchat.secret_parameters) == {"auth_token", "notification_token", "message_token"}
