"""Endpoint pages: list, per-kind forms with Test and Show, XML import and export."""
