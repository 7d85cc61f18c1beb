"""HipChat REST API v2: its transport, endpoint form and endpoint XML mapping."""
