"""``manage.py check --deploy`` is clean under the production environment the README
documents (its "Production checklist" block), and the embedded defaults still serve
the one-machine ``make run`` over plain HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from atsd_alerts.env import fernet_key

ROOT = Path(__file__).resolve().parents[2]
GENERATED = "<generated>"


def documented_environment() -> dict[str, str]:
    """``NAME=value`` lines of the env block under README's "Production checklist"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production checklist", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Production checklist has no ```sh block"
    env = {}
    for line in block.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.strip("'\"")
    return env


def run_check(extra: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS"}}
    env.update(extra)
    env["DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "manage.py", "check", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_under_the_documented_production_environment(tmp_path):
    env = documented_environment()
    assert {"HTTPS", "SECURE_PROXY_SSL_HEADER", "ALLOWED_HOSTS", "SECRET_KEY"} <= set(env)
    env["SECRET_KEY"] = os.urandom(40).hex()
    env["SECRETS_KEY"] = fernet_key()
    env.pop("DATABASE_URL", None)  # the test's own database; the check reads no data
    env.pop("REDIS_URL", None)
    result = run_check(env, tmp_path, "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    for warning in ("W004", "W008", "W012", "W016", "W009", "W018", "W020"):
        assert warning not in output


def test_the_embedded_defaults_serve_plain_http_on_one_machine(tmp_path):
    probe = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "HTTPS"))}
    env["DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", probe],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.stdout.split() == ["False", "False", "0"], result.stderr
