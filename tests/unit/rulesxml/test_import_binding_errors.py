"""A rule whose webNotification cannot be read fails the import with a report, never a 500."""

import pytest

from rules.models import Rule
from rules.rulesxml import import_rules

BROKEN = b"""<rules><rule><name>bad-binding</name><metric>m</metric>
<window>length(1)</window><expression>true</expression>
<webNotification><disabled>maybe</disabled><name>n</name>
<webNotificationConfigName>hc</webNotificationConfigName></webNotification>
</rule><rule><name>fine</name><metric>m</metric><window>length(1)</window>
<expression>true</expression></rule></rules>"""


@pytest.mark.django_db
def test_an_unreadable_binding_fails_the_import_and_saves_nothing():
    report = import_rules(BROKEN, auto_enable=True)
    assert not report.saved
    assert report.failed == ["bad-binding"]
    (failure,) = report.failures
    assert failure.element == "webNotification/disabled"
    assert failure.reason == "<disabled>: 'maybe' is not a boolean (true or false)"
    assert not Rule.objects.exists()
