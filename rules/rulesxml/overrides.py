"""``<ruleTable>`` ↔ override rows (spec §2.5, §3.11).

The rule keeps the table as the XML it was imported or saved as, so a table
round-trips as it came; these functions read it for the engine and the editor and
write it from the editor's rows::

    <ruleTable><row>
      <function>max</function><operator>&gt;</operator>
      <errorThreshold>60</errorThreshold><warningThreshold>30</warningThreshold>
      <entityGroup>disk_prod</entityGroup><entity>*</entity>
      <tag name="mount_point">/</tag>
      <webNotification>Ops room</webNotification>
    </row></ruleTable>
"""

from __future__ import annotations

from lxml import etree

from atsd_alerts.safe_xml import make_parser
from rules.engine.overrides import OverrideError, OverrideRow
from rules.rulesxml.validation import check_expression
from rules.wildcards import check_length

_CELLS = {
    "function": "function",
    "operator": "operator",
    "errorThreshold": "error",
    "warningThreshold": "warning",
    "entityGroup": "entity_group",
    "entity": "entity",
}


def read_rule_table(xml: str) -> tuple[OverrideRow, ...]:
    """The rows of a stored ``<ruleTable>`` ("" = none). ``ValueError`` names the row
    and what is wrong with it (unknown child, bad operator or threshold, a function
    that does not compile)."""
    if not xml.strip():
        return ()
    table = etree.fromstring(xml.encode("utf-8"), make_parser())
    return read_rule_table_element(table)


def read_rule_table_element(table: etree._Element) -> tuple[OverrideRow, ...]:
    rows: list[OverrideRow] = []
    for number, element in enumerate((c for c in table if isinstance(c.tag, str)), 1):
        if element.tag != "row":
            raise ValueError(f"unexpected child <{element.tag}>; expected <row>")
        try:
            rows.append(_read_row(element))
        except (ValueError, OverrideError) as exc:
            raise ValueError(f"row {number}: {exc}") from None
    return tuple(rows)


def _read_row(element: etree._Element) -> OverrideRow:
    cells: dict[str, str] = {}
    tags: list[tuple[str, str]] = []
    notifications: list[str] = []
    emails: list[str] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        text = "".join(child.itertext()).strip()
        if child.tag in _CELLS:
            cells[_CELLS[child.tag]] = text
        elif child.tag == "tag":
            name = (child.get("name") or "").strip()
            if not name:
                raise ValueError('<tag> needs a name attribute: <tag name="…">pattern</tag>')
            tags.append((name, check_length(text)))
        elif child.tag == "webNotification":
            notifications.append(text)
        elif child.tag == "emailNotification":
            emails.append(text)
        else:
            raise ValueError(f"unexpected child <{child.tag}>")
    check_length(cells.get("entity", ""))
    row = OverrideRow(
        function=cells.get("function", "") or "value",
        operator=cells.get("operator", "") or ">",
        error=cells.get("error", ""),
        warning=cells.get("warning", ""),
        entity_group=cells.get("entity_group", ""),
        entity=cells.get("entity", ""),
        tags=tuple(tags),
        notifications=tuple(n for n in notifications if n),
        emails=tuple(e for e in emails if e),
    )
    validate_row(row)
    return row


def validate_row(row: OverrideRow) -> None:
    """``ValueError`` / ``OverrideError`` when the engine could not run the row: its
    operator, thresholds, or a function cell that does not compile."""
    row.check()
    result = check_expression(row.function_expression(), "variable")
    if result.error:
        raise ValueError(f"function {row.function!r}: {result.error}")


def write_rule_table(rows: tuple[OverrideRow, ...] | list[OverrideRow]) -> str:
    """The ``<ruleTable>`` XML the rule stores for these rows; "" for none (exported as
    ``<ruleTable/>``)."""
    if not rows:
        return ""
    table = etree.Element("ruleTable")
    table.text = "\n"
    for row in rows:
        element = etree.SubElement(table, "row")
        element.tail = "\n"
        for tag, value in (
            ("function", row.function),
            ("operator", row.operator),
            ("errorThreshold", row.error),
            ("warningThreshold", row.warning),
            ("entityGroup", row.entity_group),
            ("entity", row.entity),
        ):
            etree.SubElement(element, tag).text = value or None
        for name, pattern in row.tags:
            etree.SubElement(element, "tag", name=name).text = pattern or None
        for name in row.notifications:
            etree.SubElement(element, "webNotification").text = name
        for name in row.emails:
            etree.SubElement(element, "emailNotification").text = name
    return etree.tostring(table, encoding="unicode")
