"""Shared fixtures. Service fixtures (Redis, Celery worker, browser) live in tests/services.py."""
