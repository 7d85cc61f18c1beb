"""A service account key made for the tests (RSA, once per process) and GCP-PS endpoints."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools.fakes.gcp_ps import PubSubFake
from notifications.models import Endpoint

EMAIL = "alerts-publisher@shop-prod.iam.gserviceaccount.com"
KEY_ID = "0a1b2c3d4e5f"


@dataclass(frozen=True)
class ServiceAccount:
    key_file: str  # the JSON key file, as Google hands it out
    public_pem: str


def service_account(key_id: str = KEY_ID) -> ServiceAccount:
    """The account's key file with key ``key_id``: one RSA key per id for the process."""
    return _make_account(key_id)


@functools.cache
def _make_account(key_id: str) -> ServiceAccount:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file = json.dumps({
        "type": "service_account", "project_id": "shop-prod", "private_key_id": key_id,
        "private_key": pem, "client_email": EMAIL, "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }, indent=2)  # fmt: skip
    return ServiceAccount(key_file, public)


def gcp_values(**extra: str) -> dict[str, str]:
    return {"projectId": "shop-prod", "topic": "orders", "serviceAccount": EMAIL,
            "privateKeyAlias": "", "serviceAccountKey": service_account().key_file,
            "message": "", **extra}  # fmt: skip


def trust_the_account(fake: PubSubFake) -> PubSubFake:
    """``fake`` with the test account's key and topic ``shop-prod/orders``."""
    fake.add_service_account(EMAIL, KEY_ID, service_account().public_pem)
    fake.add_topic("shop-prod", "orders")
    return fake


def gcp_endpoint(fake: PubSubFake, *, name: str = "gcp") -> Endpoint:
    """An endpoint whose URL is the fake's, ATSD-style (the topic's full publish URL)."""
    trust_the_account(fake)
    url = f"{fake.url}/v1/projects/shop-prod/topics/orders:publish"
    endpoint = Endpoint(name=name, kind="GCP-PS", base_url=url)
    endpoint.set_parameters((k, v, k in ("topic", "message")) for k, v in gcp_values().items())
    endpoint.full_clean()
    endpoint.save()
    return endpoint
