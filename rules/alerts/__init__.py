"""Alerts: trigger snapshots become open alerts, history rows and rule errors, and the
pages and Data API that show them."""
