"""Errors of rules.xml import: every failure names the rule and element at fault."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportFailure:
    """One reason a document or rule cannot be imported.

    ``rule`` is the rule's name, ``"#3"`` (1-based position) when the rule has no
    usable name, or ``None`` for a problem with the document as a whole.
    ``element`` is the offending child element of ``<rule>`` (``None`` when the
    rule or document itself is at fault).
    """

    rule: str | None
    element: str | None
    reason: str

    def __str__(self) -> str:
        where = "document" if self.rule is None else f"rule {self.rule!r}"
        if self.element:
            where += f": <{self.element}>"
        return f"{where}: {self.reason}"


class RulesImportError(Exception):
    """A rules.xml document that cannot be imported; ``failures`` lists every reason."""

    def __init__(self, failures: list[ImportFailure]) -> None:
        if not failures:
            raise ValueError("RulesImportError needs at least one failure")
        self.failures = list(failures)
        super().__init__("; ".join(str(f) for f in self.failures))

    @classmethod
    def document(cls, reason: str) -> RulesImportError:
        """A failure of the whole document (size, not XML, DOCTYPE, wrong root)."""
        return cls([ImportFailure(None, None, reason)])
