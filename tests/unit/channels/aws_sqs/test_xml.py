"""AWS-SQS endpoints in ``*-notification.xml``: ATSD published no SQS export, so ours is
the common shape (``<type>AWS-SQS</type>``, values in the tree-map, spec §2.6)."""

import pytest

from tests.unit.channels.aws_common import assert_round_trip_in_the_common_shape, sqs_values

pytestmark = pytest.mark.django_db


def test_an_sqs_endpoint_round_trips_with_its_secret_only_when_asked():
    assert_round_trip_in_the_common_shape("AWS-SQS", sqs_values(message="${rule}"))
