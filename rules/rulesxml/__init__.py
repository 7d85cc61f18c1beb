"""rules.xml import and export (spec §2), compatible with ATSD.

Public API:

* ``import_rules(data, *, auto_enable, user=None) -> ImportReport`` — all or nothing.
* ``export_rules(rules, *, include_secrets=False) -> bytes`` — one, several or all
  ``Rule`` instances; secret web-notification parameters empty unless asked for.
* ``read_rules(data) -> list[RuleSpec]`` / ``write_rules(specs) -> bytes`` — no database.
* ``RulesImportError`` / ``ImportFailure`` — what is wrong, by rule and element.
"""

from rules.rulesxml.errors import ImportFailure, RulesImportError
from rules.rulesxml.importer import ImportReport, RuleResult, import_rules
from rules.rulesxml.reader import read_rules
from rules.rulesxml.spec import RuleSpec
from rules.rulesxml.writer import export_rules, write_rules

__all__ = [
    "ImportFailure",
    "ImportReport",
    "RuleResult",
    "RuleSpec",
    "RulesImportError",
    "export_rules",
    "import_rules",
    "read_rules",
    "write_rules",
]
