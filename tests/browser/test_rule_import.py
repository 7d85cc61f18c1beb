"""Alerts > Rules in a real browser: import the walkthrough rule, then break its condition."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from rules.models.rule import Rule
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WALKTHROUGH = (
    Path(__file__).resolve().parents[1] / "fixtures" / "rulesxml" / "walkthrough_rules.xml"
)
RULE = "atsd.jvm.low_memory"


def test_import_with_auto_enable_then_an_invalid_condition_shows_its_position(
    browser, wait, live_server, administrator
):
    browser.set_window_size(1280, 900)
    log_in(browser, live_server, "alice", "pw-alice")
    wait.until(ec.title_contains("Open Alerts"))

    browser.find_element(By.LINK_TEXT, "Rules").click()
    wait.until(ec.title_contains("Rules"))
    browser.find_element(By.ID, "import-rules").click()
    wait.until(ec.title_contains("Import rules"))
    auto_enable = browser.find_element(By.ID, "id_auto_enable")
    auto_enable.click()
    assert auto_enable.is_selected()
    browser.find_element(By.ID, "id_file").send_keys(str(WALKTHROUGH))
    browser.find_element(By.ID, "import-submit").click()

    wait.until(ec.title_contains("Import result"))
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-rule="{RULE}"]')
    assert row.find_element(By.CSS_SELECTOR, ".outcome").text == "created"
    assert row.find_element(By.CSS_SELECTOR, ".enabled").text == "enabled"
    assert "Imported: 1 created" in browser.find_element(By.ID, "import-banner").text

    browser.find_element(By.LINK_TEXT, "Rules").click()
    wait.until(ec.title_contains("Rules"))
    browser.find_element(By.LINK_TEXT, RULE).click()
    wait.until(ec.title_contains(f"Rule {RULE}"))
    condition = browser.find_element(By.ID, "id_expression")
    assert condition.get_attribute("value") == "avg() > 10 || max() > 85"
    condition.clear()
    condition.send_keys("avg() > 10 ||")
    browser.find_element(By.ID, "save-rule").click()

    error = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#field-expression .field-error"))
    )
    assert error.text == "unexpected end of expression at line 1, column 14"
    assert "Not saved" in browser.find_element(By.ID, "form-errors").text
    assert Rule.objects.get(name=RULE).expression == "avg() > 10 || max() > 85"
