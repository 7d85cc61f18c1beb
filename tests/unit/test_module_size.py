"""Product modules stay small enough to read in one sitting: none is over 700 lines.

A module that grows past the bound holds more than one job; split it by what its parts
are. Migrations are generated and the dev tools are not product, so they do not count.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("atsd_alerts", "rules", "notifications")
MAX_LINES = 700


def product_modules() -> list[Path]:
    return sorted(
        path
        for package in PRODUCT_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def test_product_packages_are_found():
    found = {path.relative_to(ROOT).parts[0] for path in product_modules()}
    assert found == set(PRODUCT_PACKAGES)


def test_no_product_module_is_over_700_lines():
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in product_modules()}
    offenders = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path, lines in sorted(sizes.items())
        if lines > MAX_LINES
    ]
    assert offenders == []
