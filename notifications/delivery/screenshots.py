"""Hook for chart screenshots (spec §7.3 step 4): nothing is sent until support exists.

Screenshots are a later piece of work. When a module ``notifications.screenshots``
is installed and offers ``capture(trigger, binding, info) -> list[Image]``, the
images it returns are uploaded after the text and the details file. Until then
this hook returns no image, and no screenshot is ever pretended to be sent.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PROVIDER_MODULE = "notifications.screenshots"


@dataclass(frozen=True)
class Image:
    """One captured portal: file name, PNG bytes and caption (``Default for atsd``)."""

    filename: str
    content: bytes
    caption: str


def screenshot_support_installed() -> bool:
    """True when a screenshot provider module is importable."""
    return importlib.util.find_spec(PROVIDER_MODULE) is not None


def capture_screenshots(trigger: Any, binding: Any, info: Any) -> list[Image]:
    """Images to upload for a send with screenshots enabled; ``[]`` without support."""
    if not screenshot_support_installed():
        log.debug("screenshot requested for %s but no screenshot support is installed", binding)
        return []
    provider = importlib.import_module(PROVIDER_MODULE)
    return list(provider.capture(trigger, binding, info))
