"""The mail client settings form: SMTP host, port, security, login, password, sender.

The password is write-only (``design.md`` invariant 6): the field is never filled
in, a blank one keeps the stored password, and *clear stored password* removes it.
"""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import MailClient


class MailClientForm(forms.ModelForm[MailClient]):
    """Edit the one :class:`~notifications.models.MailClient` row; ``test_recipient``
    is where **Test** sends (not stored)."""

    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: leave blank to keep the stored password.",
    )
    clear_password = forms.BooleanField(required=False, label="clear stored password")
    test_recipient = forms.EmailField(
        required=False, help_text="Where Test sends its message (not saved)."
    )

    class Meta:
        model = MailClient
        fields = [
            "enabled",
            "host",
            "port",
            "security",
            "login",
            "sender",
            "sender_name",
            "ignore_ssl_errors",
            "timeout_s",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_password = self.instance.password
        if self.stored_password:
            self.fields[
                "password"
            ].help_text = "A password is stored (write-only): leave blank to keep it."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("enabled"):
            for name in ("host", "sender"):
                if not str(data.get(name) or "").strip():
                    self.add_error(name, "Required while the mail client is enabled.")
        if self.data.get("test") and not data.get("test_recipient"):
            self.add_error("test_recipient", "Test needs an address to send to.")
        return data

    def client(self) -> MailClient:
        """The settings as entered (saved or not), the password resolved: a typed one,
        else the stored one unless cleared."""
        client: MailClient = self.instance
        typed = self.cleaned_data.get("password") or ""
        if typed:
            client.password = typed
        elif self.cleaned_data.get("clear_password"):
            client.password = ""
        else:
            client.password = self.stored_password
        return client
