"""Email: the MIME message of a notification and the SMTP transport that sends it.

Email is not an endpoint kind: ATSD sends every ``<emailNotification>`` through the
server's one mail client (:class:`notifications.models.MailClient`), so this folder
has no registry row, form of endpoint or XML mapping; its settings page lives in
``notifications/endpoints/mail_client.py``.
"""
