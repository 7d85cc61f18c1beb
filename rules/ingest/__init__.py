"""Ingestion: network commands and JSON inserts become normalised events."""
