"""Routing: accepted events to the engine partitions that own their windows.

The route table finds, per event, the rules that select it and the partition of each
window (rule, grouping key); the hand-off appends the routed rows to those
partitions' inboxes and wakes their workers.
"""
