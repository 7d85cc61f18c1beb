"""ATSD's ready-made Custom templates (corpus ``custom-*-notification.xml`` with their
rules' parameters) import, fill for a trigger and send: the fake API accepts each
request with its authentication, and no placeholder is left unfilled."""

from urllib.parse import unquote, urlsplit

import pytest

from devtools.fakes.custom import AwsKey, running_custom_api
from notifications.channels.custom.transport import CustomTransport
from notifications.channels.http import HttpSettings
from notifications.endpoints.xml import import_endpoints
from notifications.models import Endpoint
from tests.corpus import corpus_file
from tests.unit.channels.custom.helpers import CORPUS, TEMPLATES, corpus_rule_parameters, renderer

pytestmark = pytest.mark.django_db

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_ready_made_template_fills_and_sends(template):
    path = corpus_file(CORPUS / f"custom-{template}-notification.xml")
    import_endpoints(path.read_bytes())
    endpoint = Endpoint.objects.get()
    values = endpoint.parameter_values()
    for key, value in corpus_rule_parameters(template).items():
        if key in endpoint.editable_keys() and value:
            values[key] = value
    options: dict = {}
    if values["auth_type"] == "BASIC":
        options["basic"] = (values["username"], values["password"])
    if values["auth_type"] == "AWS_SIGNATURE_V4":
        values.update(password=AWS_SECRET, aws_region="us-east-1", aws_service="sqs")
        options["aws"] = AwsKey(values["username"], AWS_SECRET, "us-east-1", "sqs")
    with running_custom_api(**options) as api:
        original = urlsplit(values["url"])
        values["url"] = api.url + values["url"][len(f"{original.scheme}://{original.netloc}") :]
        filled = CustomTransport.render_request(values, renderer())
        transport = CustomTransport.configure(filled, base_url="", http=HttpSettings())
        sent = transport.send_text(filled["body"])
        [request] = api.received()
    assert 200 <= sent.status < 300
    assert request.method == values["method"]
    assert "${" not in unquote(request.path)
    assert "${" not in unquote(request.body.decode())
