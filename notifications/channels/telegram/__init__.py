"""TELEGRAM endpoints: a bot posting into a chat through the Telegram Bot API."""
