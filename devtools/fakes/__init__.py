"""Fake services on loopback that the tests drive and a dry run shows to people."""
