"""A real renderer for Custom request templates (a fixture trigger, no database) and the
corpus of ATSD's ready-made Custom templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from lxml import etree

from notifications.rendering.scope import TriggerScope
from notifications.rendering.template import OverlayScope, render
from tests.corpus import CORPUS as ATSD_CORPUS
from tests.unit.rendering.fixtures import info, trigger

SERVER = "https://atsd.example.org:8443"
CORPUS = ATSD_CORPUS / "atsd"
TEMPLATES = ("aws", "circleci", "github", "ifttt", "jenkins", "pagerduty", "zendesk")


def renderer(name: str = "disk_low_open") -> Callable[..., str]:
    """``render(template, escape, values)`` over the fixture trigger ``name``."""
    t = trigger(name)
    scope = TriggerScope(t, replace(info(server_url=SERVER), link_style="none"), now_ms=t.now_ms)

    def fill(template: str, escape: Callable[[str], str] | None, values: Mapping[str, str]) -> str:
        return render(template, OverlayScope(scope, values), escape=escape).text

    return fill


def corpus_rule_parameters(template: str) -> dict[str, str]:
    """The OPEN parameters the corpus rule of ``template`` binds to its endpoint."""
    root = etree.parse(str(CORPUS / f"custom-{template}-rule.xml")).getroot()
    return {
        (p.findtext("key") or ""): (p.findtext("value") or "")
        for p in root.iter("firstWebConfigParameters")
    }
