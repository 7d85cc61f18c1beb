"""Inbox wake-ups on a real Redis: one pending wake-up per partition, however many
hand-offs land while it waits."""

from rules.partition import inbox


def test_appends_while_a_wake_up_is_pending_publish_none_until_the_partition_takes_it(broker):
    assert inbox.append([(0, b"[1]"), (1, b"[2]"), (0, b"[3]")]) == [0, 1]
    assert inbox.append([(0, b"[4]"), (1, b"[5]")]) == []
    inbox.clear_wake_flag(1)
    assert inbox.append([(0, b"[6]"), (1, b"[7]")]) == [1]
    assert [rows for _, rows in inbox.read_after(0, "0")] == [b"[1]", b"[3]", b"[4]", b"[6]"]
    assert [rows for _, rows in inbox.read_after(1, "0")] == [b"[2]", b"[5]", b"[7]"]


def test_an_empty_hand_off_wakes_nobody(broker):
    assert inbox.append([]) == []
