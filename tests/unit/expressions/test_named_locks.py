"""lock() and unlock(): named locks shared by every rule and process (Redis)."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib

from rules.alerts.store_reads import StoreReadsService
from rules.expressions.compiler import compile_expression
from rules.expressions.errors import EvaluationError
from tests.unit.expressions.doubles import DictContext


def named_lock(text: str, reads: StoreReadsService) -> object:
    return compile_expression(text, "condition").evaluate(DictContext({"store_reads": reads}))


def test_a_named_lock_is_taken_once_until_unlocked(redis_url, settings):
    settings.REDIS_URL = redis_url
    reads, other_process = StoreReadsService(), StoreReadsService()
    named_lock("unlock('disk-e1')", reads)
    assert named_lock("lock('disk-e1', '1 minute')", reads) is True
    assert named_lock("lock('disk-e1')", other_process) is False
    assert named_lock("unlock('disk-e1')", other_process) is True
    assert named_lock("unlock('disk-e1')", reads) is False
    assert named_lock("lock('disk-e1')", reads) is True
    named_lock("unlock('disk-e1')", reads)


def test_a_lock_expires_after_its_interval(redis_url, settings):
    settings.REDIS_URL = redis_url
    reads = StoreReadsService()
    named_lock("unlock('short')", reads)
    assert named_lock("lock('short', '1 millisecond')", reads) is True
    client = redis_lib.Redis.from_url(redis_url.replace("redis+socket://", "unix://", 1))
    for _ in range(100):  # a 1 ms key is gone within a few polls
        if not client.exists("atsd:lock:short"):
            break
        time.sleep(0.01)
    assert named_lock("lock('short', '1 minute')", reads) is True
    named_lock("unlock('short')", reads)


def test_lock_errors_are_evaluation_errors(settings):
    with pytest.raises(EvaluationError, match="the key is empty"):
        named_lock("lock('')", StoreReadsService())
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(EvaluationError, match="lock store unavailable"):
        named_lock("lock('k')", StoreReadsService())
