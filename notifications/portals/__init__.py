"""Portals: pages of our UI that draw the series history, captured by the web driver."""
