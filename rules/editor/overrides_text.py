"""The overrides table as the rule editor shows it: one row per line, eight cells
separated by ``;`` (spec §3.11)::

    group ; entity ; tags ; function ; operator ; error ; warning ; notifications
    disk_prod ; * ; mount_point=/ ; max ; > ; 60 ; 30 ; Ops room

``tags`` are ``name=pattern`` pairs separated by commas, ``notifications`` binding
names separated by commas; empty cells are left empty (``; ;``). Rows keep their
order: the first matching row wins.
"""

from __future__ import annotations

from rules.engine.overrides import OverrideError, OverrideRow
from rules.rulesxml.overrides import validate_row
from rules.wildcards import PatternTooLong, check_length

HEADER = "group ; entity ; tags ; function ; operator ; error ; warning ; notifications"
_CELLS = 8


def rows_to_text(rows: tuple[OverrideRow, ...]) -> str:
    """The editor text of the rows (e-mail routing is kept by the form, not shown)."""
    lines = []
    for row in rows:
        tags = ", ".join(f"{name}={pattern}" for name, pattern in row.tags)
        cells = (
            row.entity_group, row.entity, tags, row.function, row.operator,
            row.error, row.warning, ", ".join(row.notifications),
        )  # fmt: skip
        lines.append(" ; ".join(cells))
    return "\n".join(lines)


def text_to_rows(text: str) -> tuple[tuple[OverrideRow, ...], list[str]]:
    """Rows read from the editor text, and one message per line that is wrong
    (``line 2: …``). Blank lines and a copy of the header line are skipped."""
    rows: list[OverrideRow] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or _is_header(line):
            continue
        try:
            rows.append(_row(line))
        except (ValueError, OverrideError, PatternTooLong) as exc:
            errors.append(f"line {number}: {exc}")
    return tuple(rows), errors


def _is_header(line: str) -> bool:
    return [c.strip() for c in line.split(";")] == [c.strip() for c in HEADER.split(";")]


def _row(line: str) -> OverrideRow:
    cells = [c.strip() for c in line.split(";")]
    if len(cells) > _CELLS:
        raise ValueError(f"{len(cells)} cells; a row has {_CELLS}: {HEADER}")
    cells += [""] * (_CELLS - len(cells))
    group, entity, tags_text, function, operator, error, warning, notifications = cells
    tags = []
    for pair in filter(None, (p.strip() for p in tags_text.split(","))):
        name, equals, pattern = pair.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"tag {pair!r} is not name=pattern")
        tags.append((name.strip(), check_length(pattern.strip())))
    row = OverrideRow(
        function=function or "value",
        operator=operator or ">",
        error=error,
        warning=warning,
        entity_group=group,
        entity=" ".join(check_length(p) for p in entity.split()),
        tags=tuple(tags),
        notifications=tuple(n.strip() for n in notifications.split(",") if n.strip()),
    )
    validate_row(row)
    return row
