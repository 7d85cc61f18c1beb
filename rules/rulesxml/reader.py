"""rules.xml → ``RuleSpec`` list (spec §2.1, §2.2). No database access.

Accepted: CDATA or escaped text, CRLF or LF (normalised to LF), children in any
order, absent elements (§2.2 defaults). Every problem in every rule is
collected; if there is any, ``RulesImportError`` lists them all as
(rule name or "#index", element, reason).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from rules.contract.bindings import WebNotificationError
from rules.contract.email_bindings import EmailNotificationError
from rules.models.rule import default_strategy
from rules.rulesxml import fields as f
from rules.rulesxml.document import parse_rules_document
from rules.rulesxml.email_notifications import read_email_notification
from rules.rulesxml.errors import ImportFailure, RulesImportError
from rules.rulesxml.fidelity import fidelity_notes, unknown_functions_note
from rules.rulesxml.flap_damping import read_flap_damping
from rules.rulesxml.overrides import read_rule_table_element
from rules.rulesxml.schema import BY_XML, ELEMENTS, Element, Kind
from rules.rulesxml.spec import RuleSpec
from rules.rulesxml.validation import ExpressionKind, check_expression
from rules.rulesxml.web_notifications import read_web_notification


def read_rules(data: bytes, *, check_expressions: bool = True) -> list[RuleSpec]:
    """Parse a rules.xml document into one ``RuleSpec`` per ``<rule>``, in file order.

    Raises ``RulesImportError`` for a bad document (size, not XML, DOCTYPE,
    root other than ``<rules>``) or when any rule is invalid; the error lists
    every failure found. With ``check_expressions`` (default) conditions,
    filters and variables are compiled (never evaluated): a syntax error fails
    the rule, an unknown function only goes to the rule's ``fidelity`` notes.
    """
    root = parse_rules_document(data)
    if root.tag != "rules":
        hint = " (this looks like an endpoint export)" if root.tag == "list" else ""
        raise RulesImportError.document(f"the root element is <{root.tag}>, expected <rules>{hint}")

    specs: list[RuleSpec] = []
    failures: list[ImportFailure] = []
    first_index_by_name: dict[str, int] = {}
    index = 0
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag != "rule":
            failures.append(
                ImportFailure(None, child.tag, "unexpected element in <rules>; expected <rule>")
            )
            continue
        index += 1
        reader = _RuleReader(child, index, check_expressions=check_expressions)
        spec = reader.read()
        failures.extend(reader.failures)
        if spec is None:
            continue
        if spec.name in first_index_by_name:
            failures.append(
                ImportFailure(
                    spec.name,
                    "name",
                    f"rule #{first_index_by_name[spec.name]} in this file has the same name",
                )
            )
            continue
        first_index_by_name[spec.name] = index
        specs.append(spec)
    if failures:
        raise RulesImportError(failures)
    return specs


class _RuleReader:
    """Reads one ``<rule>``; collects failures instead of stopping at the first."""

    def __init__(self, element: etree._Element, index: int, *, check_expressions: bool) -> None:
        self.element = element
        self.index = index
        self.check_expressions = check_expressions
        self.failures: list[ImportFailure] = []
        self.label = f"#{index}"
        self.values: dict[str, Any] = {}
        self.notes: list[str] = []
        self.not_run: set[str] = set()  # functions registered as not run that it calls

    def fail(self, element: str | None, reason: str) -> None:
        self.failures.append(ImportFailure(self.label, element, reason))

    def read(self) -> RuleSpec | None:
        known: dict[str, list[etree._Element]] = {}
        raw_extra: list[str] = []
        unknown_tags: list[str] = []
        for child in self.element:
            if not isinstance(child.tag, str):
                continue
            if child.tag in BY_XML:
                known.setdefault(child.tag, []).append(child)
            else:
                unknown_tags.append(_display_tag(child))
                raw_extra.append(_raw(child))

        name_elements = known.get("name", [])
        if name_elements and len(name_elements[0]) == 0:
            name = (name_elements[0].text or "").strip()
            if name:
                self.label = name

        for tag, elements in known.items():
            spec = BY_XML[tag]
            if spec.kind not in (Kind.RAW_LIST, Kind.ENTITY_FILTER) and len(elements) > 1:
                self.fail(tag, f"appears {len(elements)} times; expected once")
                continue
            try:
                self._read_element(spec, elements)
            except ValueError as exc:
                self.fail(tag, str(exc))
        for position, element in enumerate(known.get("webNotification", [])):
            try:
                read_web_notification(element, index=position)
            except WebNotificationError as exc:
                self.fail(f"webNotification/{exc.element}", str(exc))
        for position, element in enumerate(known.get("emailNotification", [])):
            try:
                read_email_notification(element, index=position)
            except EmailNotificationError as exc:
                self.fail(f"emailNotification/{exc.element}", str(exc))

        failed_elements = {failure.element for failure in self.failures}
        for spec in BY_XML.values():
            if not spec.required or spec.xml in failed_elements:
                continue
            if spec.xml not in known:
                self.fail(spec.xml, "is required")
            elif not str(self.values.get(spec.field, "")).strip():
                self.fail(spec.xml, "must not be empty")

        if self.failures:
            return None
        self.values["raw_extra"] = raw_extra
        # In export order, so that a re-import gives the same list.
        self.values["empty_elements"] = [
            e.xml
            for e in ELEMENTS
            if e.xml in known
            and e.kind in (Kind.TEXT, Kind.LONG)
            and not e.always
            and not "".join(known[e.xml][0].itertext()).strip()
        ]
        self._apply_grouping_default("tagsGroupingStrategy" in known)
        rule = RuleSpec(**self.values)
        if self.check_expressions:
            self._check_expressions(rule)
        if self.failures:
            return None
        rule.fidelity = self.notes + fidelity_notes(rule, known, unknown_tags, self.not_run)
        return rule

    # --- elements -------------------------------------------------------------

    def _read_element(self, spec: Element, elements: list[etree._Element]) -> None:
        element = elements[0]
        kind = spec.kind
        if kind is Kind.RAW_LIST:
            self.values[spec.field] = [_raw(e) for e in elements]
            return
        if kind is Kind.ENTITY_FILTER:
            text = " ".join(_text(e) for e in elements)
            self.values[spec.field] = f.normalize_entity_filter(text)
            return
        if kind is Kind.RAW:
            self.values[spec.field] = _raw(element)
            return
        if kind is Kind.RULE_TABLE:
            empty = len(element) == 0 and not (element.text or "").strip()
            if not empty:
                read_rule_table_element(element)  # ValueError names the bad row
            self.values[spec.field] = "" if empty else _raw(element)
            return
        if kind is Kind.FLAP_DAMPING:
            self.values.update(read_flap_damping(element))
            return
        if kind is Kind.TIME_FILTER:
            parts = _children(element, {"intervalCount", "intervalUnit"})
            count = parts.get("intervalCount", "").strip()
            unit = parts.get("intervalUnit", "").strip()
            self.values["time_filter_count"] = f.parse_int(count, minimum=0) if count else 0
            self.values["time_filter_unit"] = f.parse_unit(unit) if unit else "SECOND"
            return
        if kind is Kind.STRATEGY:
            parts = _children(element, {"type", "intervalCount", "intervalUnit"})
            strategy = default_strategy()  # children left out keep their defaults
            if parts.get("type", "").strip():
                strategy["type"] = f.parse_strategy_type(parts["type"])
            if parts.get("intervalCount", "").strip():
                strategy["count"] = f.parse_int(parts["intervalCount"], minimum=0)
            if parts.get("intervalUnit", "").strip():
                strategy["unit"] = f.parse_unit(parts["intervalUnit"])
            self.values[spec.field] = strategy
            return
        if kind is Kind.USER_EXPRESSIONS:
            variables: list[dict[str, str]] = []
            seen: set[str] = set()
            for child in element:
                if not isinstance(child.tag, str):
                    continue
                if child.tag != "expression":
                    raise ValueError(f"unexpected child <{child.tag}>; expected <expression>")
                expression, name = f.split_user_expression(_text(child))
                if name in seen:
                    raise ValueError(f"variable {name!r} is defined twice")
                seen.add(name)
                variables.append({"name": name, "expression": expression})
            self.values[spec.field] = variables
            return

        text = _text(element)
        parse: Callable[[str], Any] | None = _TEXT_PARSERS.get(kind)
        if kind is Kind.LONG:
            self.values[spec.field] = text
        elif kind is Kind.TEXT:
            self.values[spec.field] = text.strip()
        elif not text.strip():
            # An empty element such as <enabled/> means "not set": keep the default.
            return
        elif parse is not None:
            self.values[spec.field] = parse(text)

    def _apply_grouping_default(self, present: bool) -> None:
        if present:
            return
        # Spec §2.2 [decision]: pre-grouping-strategy files with tags meant DEFINED_TAGS.
        if self.values.get("tags"):
            strategy = "DEFINED_TAGS"
        elif self.values.get("metric", "").lower() in ("message", "property"):
            strategy = "NO_TAGS"
        else:
            strategy = "ALL_TAGS"
        self.values["tags_grouping_strategy"] = strategy

    def _check_expressions(self, rule: RuleSpec) -> None:
        # (element, prefix naming the variable, text, kind)
        targets: list[tuple[str, str, str, ExpressionKind]] = [
            ("expression", "", rule.expression, "condition")
        ]
        if rule.filter.strip():
            targets.append(("filter", "", rule.filter, "filter"))
        for variable in rule.user_expressions:
            prefix = f"variable {variable['name']!r}: "
            targets.append(("userExpressions", prefix, variable["expression"], "variable"))
        for element, prefix, text, kind in targets:
            result = check_expression(text, kind)
            if result.error:
                self.fail(element, f"{prefix}{result.error}")
            if result.unsupported:
                self.notes.append(
                    unknown_functions_note(
                        f"<{element}>: {prefix}".rstrip(": "), result.unsupported
                    )
                )
            self.not_run.update(result.not_run)


def _grouping(text: str) -> str:
    value = text.strip().upper()
    if value not in ("ALL_TAGS", "DEFINED_TAGS", "NO_TAGS"):
        raise ValueError(f"{text.strip()!r} is not ALL_TAGS, DEFINED_TAGS or NO_TAGS")
    return value


_TEXT_PARSERS: dict[Kind, Callable[[str], Any]] = {
    Kind.BOOL: f.parse_bool,
    Kind.TRISTATE: f.parse_bool,
    Kind.INT_OPT: f.parse_int,
    Kind.WINDOW: f.normalize_window,
    Kind.SEVERITY: f.parse_severity,
    Kind.GROUPING: _grouping,
    Kind.TAGS: f.parse_tags,
}


def _text(element: etree._Element) -> str:
    """Text of a leaf element, newlines normalised; child elements are an error."""
    for child in element:
        if isinstance(child.tag, str):
            raise ValueError(f"expected text, found a child element <{child.tag}>")
    return f.normalize_newlines("".join(element.itertext()))


def _children(element: etree._Element, allowed: set[str]) -> dict[str, str]:
    """Texts of the leaf children of a small block such as ``<timeFilter>``."""
    parts: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in allowed:
            raise ValueError(
                f"unexpected child <{child.tag}>; expected {', '.join(sorted(allowed))}"
            )
        if child.tag in parts:
            raise ValueError(f"<{child.tag}> appears more than once")
        parts[child.tag] = _text(child)
    return parts


def _raw(element: etree._Element) -> str:
    """The element as XML text for verbatim re-export (newlines normalised)."""
    for node in element.iter():
        if node.text:
            node.text = f.normalize_newlines(node.text)
        if node is not element and node.tail:
            node.tail = f.normalize_newlines(node.tail)
        for key, value in node.attrib.items():
            node.attrib[key] = f.normalize_newlines(value)
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _display_tag(element: etree._Element) -> str:
    return etree.QName(element).localname if element.tag.startswith("{") else element.tag
