"""Routine lines at DEBUG and errors in one line, so that INFO shows what an operator
acts on.

Beat sends a tick to every engine partition each second and Celery logs, at INFO,
each task it sends, receives and finishes: thousands of lines an hour that bury
starts, stops, errors, retries and restarts. Celery has no setting for the level of
these lines, so a filter on the loggers that write them turns each such record into
a DEBUG record: shown when the process logs at DEBUG, dropped otherwise.

Beat logs a task it cannot send (the broker is away) with the stack of the call and
the whole exception chain, ~200 lines a second while Redis restarts; the exception's
own message says what happened, so the record keeps that line only. And at every
reconnect each worker warns, in 7 lines, that a setting's default changes in Celery 6:
nothing to act on then (the setting is the notify task's to choose), so it is dropped.
"""

from __future__ import annotations

import logging

from celery.app import trace

# Message templates of Celery's routine INFO lines (celery.beat, celery.worker.strategy,
# celery.app.trace): sending a due task, receiving a task, a task that succeeded.
BEAT_SENDING = "Scheduler: Sending due task"
ROUTINE_TEMPLATES = (trace.LOG_RECEIVED, trace.LOG_SUCCESS)
# celery.beat's template for a task it could not send: the exception, then the stack.
BEAT_SEND_FAILED = "Message Error: %s\n%s"
# The setting Celery's reconnect notice (a PendingDeprecationWarning) is about.
CELERY6_NOTICE = "worker_cancel_long_running_tasks_on_connection_loss"


def is_routine(record: logging.LogRecord) -> bool:
    message = record.msg
    if not isinstance(message, str):
        return False
    return message.startswith(BEAT_SENDING) or message in ROUTINE_TEMPLATES


class RoutineToDebug(logging.Filter):
    """Demote routine INFO records to DEBUG; keep them only where DEBUG is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not is_routine(record):
            return True
        record.levelno = logging.DEBUG
        record.levelname = logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


class OneLineSendErrors(logging.Filter):
    """Beat's 'cannot send' errors as one line: the exception's message, no stacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == BEAT_SEND_FAILED and isinstance(record.args, tuple) and record.args:
            record.msg = "Message Error: %s"
            record.args = record.args[:1]
            record.exc_info = None
            record.exc_text = None
        return True


class DropCelery6Notice(logging.Filter):
    """Drop the workers' notice about a Celery 6 default, logged at every reconnect."""

    def filter(self, record: logging.LogRecord) -> bool:
        return CELERY6_NOTICE not in record.getMessage()
