"""AWS-SNS endpoints in ``*-notification.xml``: ATSD published no SNS export, so ours is
the common shape (``<type>AWS-SNS</type>``, values in the tree-map, spec §2.6)."""

import pytest

from tests.unit.channels.aws_common import assert_round_trip_in_the_common_shape, sns_values

pytestmark = pytest.mark.django_db


def test_an_sns_endpoint_round_trips_with_its_secret_only_when_asked():
    assert_round_trip_in_the_common_shape("AWS-SNS", sns_values(message="${rule}"))
