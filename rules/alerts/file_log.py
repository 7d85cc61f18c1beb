"""Alert file logs (spec §2.2 ``alertLoggerName``): each rule's Logging-tab texts, one
line per trigger, appended to ``ALERT_LOG_DIR/<name>.log`` by the process that stores
alerts, with size-based rotation bounded by ``ALERT_LOG_MAX_BYTES`` and
``ALERT_LOG_BACKUP_COUNT``.

A rule's logger is the Python logger ``ALERT_LOGGER_PREFIX + <name>``, configured on
first use with only its file handler and no propagation: a logger name chosen in a rule
(``django``, ``root``) never reaches this server's own loggers or their handlers. The file
name keeps letters, digits, ``.``, ``-`` and ``_`` of the name (anything else is ``_``),
and never starts with a dot, so a name such as ``../../x`` stays inside the folder.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from django.conf import settings

ALERT_LOGGER_PREFIX = "atsd_alerts.alert_log."
log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 200
_lock = threading.Lock()


def log_file_name(name: str) -> str:
    """The file name of logger ``name``: safe characters only, no leading dot."""
    safe = _UNSAFE.sub("_", name.strip())[:_MAX_NAME].lstrip(".")
    return f"{safe or '_'}.log"


def alert_logger(name: str) -> logging.Logger:
    """The logger of ``alertLoggerName`` ``name``, with its rotating file handler."""
    file_name = log_file_name(name)
    logger = logging.getLogger(ALERT_LOGGER_PREFIX + file_name[: -len(".log")])
    path = Path(settings.ALERT_LOG_DIR).resolve() / file_name
    with _lock:
        handlers = [h for h in logger.handlers if isinstance(h, RotatingFileHandler)]
        if handlers and handlers[0].baseFilename == str(path):
            return logger
        for old in handlers:  # ALERT_LOG_DIR changed (tests): write to the new folder
            old.close()
            logger.removeHandler(old)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path,
            maxBytes=settings.ALERT_LOG_MAX_BYTES,
            backupCount=settings.ALERT_LOG_BACKUP_COUNT,
            encoding="utf-8",
            delay=True,
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def write_alert_lines(lines: Iterable[tuple[str, str]]) -> None:
    """Append each (logger name, text) as one line: line breaks in a text are escaped.
    A folder that cannot be made is logged, never raised: the alerts are stored."""
    for name, text in lines:
        one_line = text.replace("\r", "\\r").replace("\n", "\\n")
        try:
            logger = alert_logger(name)
        except OSError as exc:
            log.warning("alert file log %.200r not written: %s", name, exc)
            continue
        logger.info(one_line)
