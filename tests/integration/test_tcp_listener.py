"""The TCP command listener: many clients, debug replies, disconnect-on-error setting,
hostile input, allowed networks, connection cap and idle timeout."""

import logging
import socket
import threading
import time

import pytest

from rules.ingest.pipeline import hand_off
from rules.ingest.tcp import CommandListener, ListenerThread
from rules.models import Alert, Entity
from tests.db_refusals import refusing
from tests.engine_helpers import make_rule, poll, window_sizes

pytestmark = pytest.mark.integration


class Collected:
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, events):
        with self.lock:
            self.events.extend(events)

    def wait_for(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.events) >= count:
                    return list(self.events)
            time.sleep(0.02)
        return list(self.events)


@pytest.fixture
def collected():
    return Collected()


def running(hand, **options):
    listener = ListenerThread(CommandListener(hand, flush_ms=20, **options))
    listener.start()
    return listener


def send(port, payload: bytes, *, read_reply=False):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        if not read_reply:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                data = sock.recv(4096)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
            if read_reply and b"\n" in data:
                break
        return b"".join(chunks)


def test_it_accepts_lines_from_many_concurrent_clients(collected):
    listener = running(collected)
    try:

        def client(n):
            lines = "".join(
                f"series e:c{n} m:cpu={i} ms:{1_700_000_000_000 + i}\n" for i in range(200)
            )
            send(listener.port, lines.encode())

        threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = collected.wait_for(4000)
    finally:
        listener.stop()
    assert len(events) == 4000
    per_client = {}
    for event in events:
        per_client.setdefault(event.entity, []).append(event.value)
    assert all(values == [float(i) for i in range(200)] for values in per_client.values())


def test_debug_prefix_answers_ok_or_invalid_command(collected):
    listener = running(collected, disconnect_on_error=False)
    try:
        assert send(listener.port, b"debug series e:d m:cpu=1\n", read_reply=True) == b"ok\n"
        reply = send(listener.port, b"debug series e:d m:cpu=x\n", read_reply=True)
        assert reply == b"Invalid command: series e:d m:cpu=x\n"
    finally:
        listener.stop()
    assert [event.value for event in collected.events] == [1.0]


def test_first_invalid_command_closes_the_connection_when_set(collected):
    listener = running(collected, disconnect_on_error=True)
    try:
        payload = b"series e:a m:cpu=1\nseries e:a m:cpu=bad\nseries e:a m:cpu=3\n"
        send(listener.port, payload)
        events = collected.wait_for(1)
        time.sleep(0.1)  # the third line must not arrive; give a late flush its chance
    finally:
        listener.stop()
    assert [event.value for event in events] == [1.0]
    assert [event.value for event in collected.events] == [1.0]


def test_invalid_commands_are_skipped_when_disconnect_is_off(collected):
    listener = running(collected, disconnect_on_error=False)
    try:
        send(listener.port, b"series e:a m:cpu=1\nseries e:a m:cpu=bad\nseries e:a m:cpu=3\n")
        events = collected.wait_for(2)
    finally:
        listener.stop()
    assert [event.value for event in events] == [1.0, 3.0]
    assert listener.listener.failed == 1


def test_an_over_long_line_is_refused_without_buffering_it(collected):
    listener = running(collected, disconnect_on_error=False)
    try:
        payload = b"series e:a m:cpu=1 t:pad=" + b"x" * 300_000 + b"\nseries e:a m:cpu=2\n"
        send(listener.port, payload)
        events = collected.wait_for(1)
    finally:
        listener.stop()
    assert [event.value for event in events] == [2.0]


def test_quoted_values_may_span_lines(collected):
    listener = running(collected)
    try:
        send(listener.port, b'message e:m t:type=note m:"first\nsecond"\n')
        events = collected.wait_for(1)
    finally:
        listener.stop()
    assert events[0].text == "first\nsecond"


def test_tcp_lines_reach_a_real_engine_worker(engine_worker):
    make_rule("jvm", "jvm_memory_used_percent", "false", "length(10)")
    listener = running(hand_off)
    try:
        send(listener.port, b"series e:atsd m:jvm_memory_used_percent=55 t:host=axibase\n")
        sizes = poll(lambda: window_sizes("jvm"), what="the sample in a window")
    finally:
        listener.stop()
    assert sizes == {"series-jvm_memory_used_percent-atsd-host=axibase": 1}


# --- hostile and careless input ------------------------------------------------------


def alerted(entity: str) -> bool:
    return Alert.objects.filter(rule="cpu-high", entity=entity).exists()


@pytest.mark.parametrize("disconnect_on_error", [True, False])
def test_long_entity_name_over_tcp_does_not_stall_later_lines(engine_worker, disconnect_on_error):
    make_rule("cpu-high", "cpu", "value > 50", "length(1)")
    listener = running(hand_off, disconnect_on_error=disconnect_on_error)
    try:
        lines = f"series e:before m:cpu=90\nseries e:{'z' * 600} m:cpu=90\n"
        if disconnect_on_error:  # the connection closes at the bad line: later ones reconnect
            send(listener.port, lines.encode())
            send(listener.port, b"series e:after m:cpu=90\n")
        else:
            send(listener.port, (lines + "series e:after m:cpu=90\n").encode())
        # The two lines may land in different partitions: either may be processed first.
        poll(lambda: alerted("after"), 20, "an alert for the line after the long one")
        poll(lambda: alerted("before"), 20, "an alert for the line before the long one")
    finally:
        listener.stop()
    assert listener.listener.failed == 1
    assert not Entity.objects.filter(name__startswith="zzz").exists()


def test_a_line_the_database_refuses_over_tcp_is_dropped_and_later_lines_alert(engine_worker):
    make_rule("cpu-high", "cpu", "value > 50", "length(1)")
    listener = running(hand_off)
    try:
        with refusing("rules_entity", "name", "poison"):
            send(listener.port, b"series e:poison m:cpu=90\nseries e:after m:cpu=90\n")
            poll(lambda: alerted("after"), 20, "an alert for the line after the refused one")
    finally:
        listener.stop()
    assert listener.listener.refused == 1
    assert not alerted("poison")


def test_a_stray_quote_over_tcp_costs_one_line(collected):
    listener = running(collected, disconnect_on_error=False)
    try:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            lines = [f"series e:q m:cpu={i}" for i in range(10)]
            lines += ['series e:q m:cpu=99 t:note="unbalanced']
            lines += [f"series e:q m:cpu={i}" for i in range(10, 20)]
            sock.sendall(("\n".join(lines) + "\n").encode())
            collected.wait_for(20)
            time.sleep(0.5)  # a line sent later on the same connection
            sock.sendall(b"series e:q m:cpu=20\n")
            events = collected.wait_for(21)
    finally:
        listener.stop()
    assert [event.value for event in events] == [float(i) for i in range(21)]
    assert listener.listener.failed == 1


def refused_at_accept(port: int) -> bool:
    """Connect and send a line; True when the server closed without taking it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(b"series e:stranger m:cpu=1\n")
            return sock.recv(1) == b""
        except ConnectionError:
            return True
        except TimeoutError:
            return False


def test_a_client_outside_the_allowed_networks_is_refused_at_accept(collected, caplog):
    listener = running(collected, allowed_networks=["10.0.0.0/8", "::1/128"])
    try:
        with caplog.at_level(logging.WARNING, logger="rules.ingest.tcp"):
            assert refused_at_accept(listener.port)
        time.sleep(0.2)
    finally:
        listener.stop()
    assert collected.events == []
    assert "not in TCP_ALLOWED_NETWORKS" in caplog.text


def test_connections_beyond_the_cap_are_refused(collected, caplog):
    listener = running(collected, max_connections=2)
    held = [socket.create_connection(("127.0.0.1", listener.port), timeout=2) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"series e:held m:cpu=1\n")
        collected.wait_for(2)
        with caplog.at_level(logging.WARNING, logger="rules.ingest.tcp"):
            assert refused_at_accept(listener.port)
        held.pop().close()
        time.sleep(0.2)
        send(listener.port, b"series e:later m:cpu=1\n")
        events = collected.wait_for(3)
    finally:
        for sock in held:
            sock.close()
        listener.stop()
    assert [event.entity for event in events] == ["held", "held", "later"]
    assert "TCP_MAX_CONNECTIONS" in caplog.text


def test_an_idle_connection_is_closed(collected):
    listener = running(collected, idle_timeout_s=0.3)
    try:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            sock.sendall(b"series e:idle m:cpu=1")  # no LF: the tail is taken at close
            assert sock.recv(1) == b""
        events = collected.wait_for(1)
    finally:
        listener.stop()
    assert [event.entity for event in events] == ["idle"]
