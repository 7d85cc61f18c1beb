"""The mail client: how email notifications leave this server (ATSD's Settings → Mail Client).

One row (:meth:`MailClient.load`): the SMTP server, how the connection is secured,
the login and the sender. The password is encrypted at rest (Fernet, key
``SECRETS_KEY``, :mod:`atsd_alerts.encryption`) and write-only everywhere else
(``design.md`` invariant 6): the settings page never renders it, log lines and
``__repr__`` never include it.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from atsd_alerts.encryption import EncryptedTextField

MAIL_CLIENT_PK = 1


class MailSecurity(models.TextChoices):
    """How the SMTP connection is secured."""

    NONE = "NONE", "None (plain SMTP)"
    STARTTLS = "STARTTLS", "STARTTLS (upgrade a plain connection, usually port 587)"
    SSL = "SSL", "SSL/TLS (TLS from the first byte, usually port 465)"


class MailClient(models.Model):
    """The SMTP settings every email notification is sent with."""

    enabled = models.BooleanField(default=False)
    host = models.CharField("SMTP host", max_length=255, blank=True)
    port = models.PositiveIntegerField(
        default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        max_length=8, choices=MailSecurity.choices, default=MailSecurity.STARTTLS
    )
    login = models.CharField(
        max_length=255, blank=True, help_text="Blank: the server takes mail without a login."
    )
    password = EncryptedTextField(blank=True)
    sender = models.EmailField(
        "sender address", max_length=255, blank=True, help_text="The From address."
    )
    sender_name = models.CharField(max_length=200, blank=True, default="ATSD Alerts")
    ignore_ssl_errors = models.BooleanField("ignore TLS errors", default=False)
    timeout_s = models.PositiveIntegerField(
        "timeout, seconds", default=30, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" if self.host else "mail client (not configured)"

    def __repr__(self) -> str:
        return f"<MailClient {self.host!r}:{self.port} {self.security}>"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = MAIL_CLIENT_PK  # one row: the server's settings
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def load(cls) -> MailClient:
        """The mail client's settings (an unsaved default row until they are saved)."""
        found = cls.objects.filter(pk=MAIL_CLIENT_PK).first()
        return found if found is not None else cls(pk=MAIL_CLIENT_PK)
