"""CPU seconds of a process tree by role, read from /proc (Linux): what each process of a
benchmarked stack costs, Redis and Celery's own work included, which in-process stage
timings do not see."""

from __future__ import annotations

import os
import re
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ENGINE_QUEUE = re.compile(r"-Q engine\.(\d+)")


def role(cmdline: str) -> str:
    """The stack role a command line plays (run_stack.py's process names)."""
    found = ENGINE_QUEUE.search(cmdline)
    if found:
        return f"engine.{found.group(1)}"
    for needle, name in (
        ("redis-server", "redis"),
        ("listen_tcp", "listener"),
        ("-Q notify", "notify"),
        (" beat", "beat"),
        ("gunicorn", "web"),
        ("run_stack.py", "supervisor"),
    ):
        if needle in cmdline:
            return name
    return "other"


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of user + system) of ``pid``, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def tree_cpu(root: int) -> dict[int, tuple[str, float]]:
    """pid → (role, CPU seconds) of ``root`` and every process below it."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)], seconds[int(entry)] = stat
    inside = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in inside} - inside
        grew = bool(below)
        inside |= below
    return {pid: (role(_cmdline(pid)), seconds[pid]) for pid in inside if pid in seconds}


def cpu_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each role spent between two :func:`tree_cpu` readings."""
    spent: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        earlier = before.get(pid, (name, 0.0))[1]
        spent[name] = spent.get(name, 0.0) + seconds - earlier
    return spent
