"""AWS Signature Version 4 as the fakes of AWS APIs check it: recomputed with botocore
over the request as it arrived, so a fake accepts exactly what AWS would."""

from __future__ import annotations

from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devtools.fakes.service import Recorded


def expected_signature(
    record: Recorded,
    *,
    key_id: str,
    secret: str,
    region: str,
    service: str,
    signed_headers: list[str],
    amz_date: str,
) -> str:
    """The signature ``record`` must carry when signed by ``key_id``/``secret`` for
    ``region`` and ``service`` at ``amz_date`` (``X-Amz-Date``) over ``signed_headers``."""
    query = f"?{urlencode(record.query)}" if record.query else ""
    request = AWSRequest(
        method=record.method,
        url=f"http://{record.header('Host')}{record.path}{query}",
        data=record.body,
        headers={name: record.header(name) for name in signed_headers},
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key_id, secret), service, region)
    return signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
