"""The endpoint form every channel kind's form extends.

The base form holds what every kind shares (name, status, URL, proxy, TLS,
logging, test portal) and turns the kind's :attr:`EndpointForm.parameter_specs`
into a value field plus an "editable in rules" checkbox each. A kind's form is a
subclass in its channel folder, named by the registry; views, templates, import and
export find it through :func:`form_for`.

Secrets (the kind's ``secret_parameters`` from the registry, and the proxy
password) are write-only: rendered as empty password inputs, a blank input on
edit keeps the stored value, and a "clear" checkbox removes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from django import forms
from django.utils.module_loading import import_string

from notifications.channels import registry
from notifications.models import Endpoint
from notifications.portals.catalog import all_portals
from notifications.screenshots import series_choice

PARAM_PREFIX = "param_"
EDITABLE_PREFIX = "editable_"
CLEAR_PREFIX = "clear_"
PROXY_PASSWORD = "proxy_password"  # noqa: S105 - a field name, not a password
TEST_SERIES = "test_series"


@dataclass(frozen=True)
class ParameterSpec:
    """One kind parameter in the form.

    ``make`` builds a fresh form field (fields are per form instance);
    ``editable`` is the default of the "editable in rules" checkbox; ``default``
    the initial value on a new endpoint.
    """

    key: str
    make: Callable[[], forms.Field]
    editable: bool = False
    default: str = ""


def form_for(kind: str) -> type[EndpointForm]:
    """The form class of ``kind`` (from the registry); LookupError when it has none yet."""
    if not has_form(kind):
        raise LookupError(f"endpoint type {kind} has no form yet")
    return cast(type[EndpointForm], import_string(registry.get_kind(kind).form))


def has_form(kind: str) -> bool:
    """Whether endpoints of ``kind`` can be created, edited and imported here."""
    return kind.upper() in registry.KINDS and bool(registry.get_kind(kind).form)


class PasswordField(forms.CharField):
    """A secret input: masked, never rendered with a value, blank allowed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        attrs = {"autocomplete": "new-password", "spellcheck": "false"}
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False, attrs=attrs))
        super().__init__(**kwargs)


@dataclass
class ParameterRow:
    """What the template needs to draw one parameter line."""

    key: str
    value: forms.BoundField
    editable: forms.BoundField
    secret: bool
    clear: forms.BoundField | None
    stored: bool


class EndpointForm(forms.ModelForm[Endpoint]):
    """Common endpoint fields; subclasses set :attr:`kind` and :attr:`parameter_specs`.

    After :meth:`is_valid`, ``self.instance`` carries the submitted values with
    stored secrets filled in where inputs were blank (what *Test* sends and what
    :meth:`save` writes). :attr:`warnings` holds non-blocking advice.
    """

    kind: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    parameter_specs: ClassVar[tuple[ParameterSpec, ...]] = ()
    #: The parameters (``base_url`` for the URL) that say where the endpoint sends,
    #: shown in the endpoint list.
    target_keys: ClassVar[tuple[str, ...]] = ("room",)
    #: Fields of the kind that are not parameters (typed in, turned into parameters by
    #: :meth:`clean`, never stored as such), shown before the parameters.
    entry_fields: ClassVar[tuple[str, ...]] = ()

    enabled = forms.TypedChoiceField(
        label="Status",
        choices=[("true", "Enabled"), ("false", "Disabled")],
        coerce=lambda value: value == "true",
    )
    proxy_password = PasswordField(label="Proxy password", max_length=500)

    class Meta:
        model = Endpoint
        fields = [
            "name",
            "enabled",
            "description",
            "base_url",
            "proxy_url",
            "proxy_username",
            "ignore_ssl_errors",
            "ca_bundle",
            "log_response",
            "test_portal",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "ca_bundle": forms.Textarea(
                attrs={"rows": 3, "placeholder": "-----BEGIN CERTIFICATE-----"}
            ),
        }
        help_texts = {
            "ca_bundle": "PEM certificates trusted instead of the system store "
            "(for HipChat Server with a private CA). Ignored when TLS errors are ignored.",
            "proxy_url": "http://, https:// or socks5:// proxy; blank = direct connection.",
            "test_portal": "Portal that Send Screenshot captures and sends (Data > Portals).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self.fields["test_portal"] = _test_portal(self.instance.test_portal)
        if self.kind and registry.get_kind(self.kind).sends_files:
            self.fields[TEST_SERIES] = _test_series()
        self.resolved: dict[str, str] = {}
        stored = self.instance.parameter_values() if self.instance.pk else {}
        stored_editable = set(self.instance.editable_keys()) if self.instance.pk else set()
        self.initial["enabled"] = "true" if self.instance.enabled else "false"
        if not self.instance.pk and not self.initial.get("base_url"):
            self.initial["base_url"] = self.default_base_url
        secret = set(self.secret_keys())
        for spec in self.parameter_specs:
            field = spec.make()
            name = PARAM_PREFIX + spec.key
            self.fields[name] = field
            if spec.key in secret:
                self._mark_stored(field, bool(stored.get(spec.key)))
            else:
                self.initial[name] = stored.get(spec.key, spec.default) if stored else spec.default
            self.fields[EDITABLE_PREFIX + spec.key] = forms.BooleanField(
                label="editable in rules", required=False
            )
            editable = (spec.key in stored_editable) if self.instance.pk else spec.editable
            self.initial[EDITABLE_PREFIX + spec.key] = editable
            if spec.key in secret and stored.get(spec.key):
                self.fields[CLEAR_PREFIX + spec.key] = forms.BooleanField(
                    label="clear stored value", required=False
                )
        self._mark_stored(self.fields[PROXY_PASSWORD], bool(self.instance.proxy_password))
        if self.instance.proxy_password:
            self.fields[CLEAR_PREFIX + PROXY_PASSWORD] = forms.BooleanField(
                label="clear stored value", required=False
            )

    @staticmethod
    def _mark_stored(field: forms.Field, stored: bool) -> None:
        if stored:
            field.widget.attrs["placeholder"] = "stored; leave blank to keep"
            field.help_text = (field.help_text + " " if field.help_text else "") + (
                "A value is stored and hidden: blank keeps it."
            )

    # ------------------------------------------------------------ structure

    @classmethod
    def secret_keys(cls) -> tuple[str, ...]:
        """Secret parameter keys of this kind (the registry decides)."""
        return registry.get_kind(cls.kind).secret_parameters

    @classmethod
    def target(cls, endpoint: Endpoint) -> str:
        """Where ``endpoint`` sends, for the list: its :attr:`target_keys` values."""
        values = {**endpoint.parameter_values(), "base_url": endpoint.base_url}
        return " · ".join(v for v in (values.get(k, "") for k in cls.target_keys) if v)

    @classmethod
    def parameter_keys(cls) -> tuple[str, ...]:
        return tuple(spec.key for spec in cls.parameter_specs)

    def parameter_rows(self) -> list[ParameterRow]:
        """One row per parameter in form order, for the template."""
        stored = self.instance.parameter_values() if self.instance.pk else {}
        secret = set(self.secret_keys())
        return [
            ParameterRow(
                key=spec.key,
                value=self[PARAM_PREFIX + spec.key],
                editable=self[EDITABLE_PREFIX + spec.key],
                secret=spec.key in secret,
                clear=self[CLEAR_PREFIX + spec.key]
                if CLEAR_PREFIX + spec.key in self.fields
                else None,
                stored=bool(stored.get(spec.key)) and spec.key in secret,
            )
            for spec in self.parameter_specs
        ]

    def section(self, *names: str) -> list[forms.BoundField]:
        """Bound fields by name, for templates that lay out groups of fields."""
        return [self[name] for name in names if name in self.fields]

    # ----------------------------------------------------------- validation

    def _resolve_secret(self, key: str, field_name: str, stored: str) -> str:
        if self.cleaned_data.get(CLEAR_PREFIX + key):
            return ""
        return self.cleaned_data.get(field_name) or stored

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or self.cleaned_data
        stored = self.instance.parameter_values() if self.instance.pk else {}
        secret = set(self.secret_keys())
        values: dict[str, str] = {}
        for spec in self.parameter_specs:
            name = PARAM_PREFIX + spec.key
            if spec.key in secret:
                values[spec.key] = self._resolve_secret(spec.key, name, stored.get(spec.key, ""))
            else:
                values[spec.key] = str(cleaned.get(name) or "")
        self.resolved = values
        for key, message in self.validate_parameters(values).items():
            field = PARAM_PREFIX + key
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
            elif field not in self.fields:
                self.add_error(None, message)
        self.warnings = self.parameter_warnings(values)
        # The instance is what Test sends and save() writes: fill it before model validation.
        self.instance.kind = self.kind
        self.instance.set_parameters(
            (spec.key, values[spec.key], bool(cleaned.get(EDITABLE_PREFIX + spec.key)))
            for spec in self.parameter_specs
        )
        self.instance.proxy_password = self._resolve_secret(
            PROXY_PASSWORD, PROXY_PASSWORD, self.instance.proxy_password if self.instance.pk else ""
        )
        return cleaned

    @classmethod
    def validate_parameters(
        cls, values: Mapping[str, str], *, require_secrets: bool = True
    ) -> dict[str, str]:
        """Kind rules over resolved values: ``{key: error}``; empty = valid.

        Also used by the XML import (``require_secrets=False``: exports leave
        tokens empty, and an imported endpoint gets its tokens typed in later), so
        a file cannot store what the form refuses.
        """
        return {}

    @classmethod
    def parameter_warnings(cls, values: Mapping[str, str]) -> list[str]:
        """Advice that does not block saving (e.g. a scope that only files need)."""
        return []


# ----------------------------------------------------------- shared fields


def _test_portal(current: str) -> forms.Field:
    """Test Portal: a drop-down of the portals by name (a stored unknown name stays listed)."""
    choices = [("", "None")] + [(p.name, f"{p.name} (id {p.id})") for p in all_portals()]
    if current and current not in dict(choices):
        choices.append((current, f"{current} (unknown portal)"))
    return forms.ChoiceField(
        label="Test Portal",
        choices=choices,
        required=False,
        help_text="Portal that Send Screenshot captures and sends (Data > Portals).",
    )


class SeriesChoiceField(forms.ChoiceField):
    """A recorded series to chart; a posted one that has since left the listed most
    recent series is still accepted (the chart shows whatever history it has)."""

    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or series_choice.parse(value) is not None


def _test_series() -> forms.Field:
    """Test Series: the series Send Screenshot charts (not stored: a choice per test)."""
    return SeriesChoiceField(
        label="Test Series",
        choices=series_choice.choices(),
        required=False,
        help_text="Series that Send Screenshot charts in the Test Portal; by default the "
        "most recently active series of your data, never this server's own metrics.",
    )


def token_field(label: str, help_text: str) -> Callable[[], forms.Field]:
    """A :class:`ParameterSpec` maker of a write-only token input."""
    return lambda: PasswordField(label=label, max_length=200, help_text=help_text)


def message_field(label: str, syntax: str) -> Callable[[], forms.Field]:
    """A :class:`ParameterSpec` maker of the message text input; ``syntax`` says how the
    service writes it (links, markup)."""
    return lambda: forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Blank = written in the rule editor. {syntax}",
    )


class BoolStringField(forms.BooleanField):
    """A checkbox stored as the strings ``true``/``false`` (parameters are text, as in ATSD)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.lower() == "false":
            return False
        return super().to_python(value)

    def clean(self, value: Any) -> str:
        return "true" if super().clean(value) else "false"


def text_field(
    label: str, help_text: str = "", *, max_length: int = 500, required: bool = False
) -> Callable[[], forms.Field]:
    """A :class:`ParameterSpec` maker of a one-line text input."""
    return lambda: forms.CharField(
        label=label, max_length=max_length, required=required, help_text=help_text
    )


def area_field(label: str, help_text: str = "", *, rows: int = 4) -> Callable[[], forms.Field]:
    """A :class:`ParameterSpec` maker of a multi-line text input (message bodies, headers)."""
    return lambda: forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def choice_field(
    label: str, options: tuple[str, ...], help_text: str = ""
) -> Callable[[], forms.Field]:
    """A :class:`ParameterSpec` maker of a drop-down over ``options`` ("" shows as Default)."""
    return lambda: forms.ChoiceField(
        label=label,
        choices=[(o, o or "Default") for o in options],
        required=False,
        help_text=help_text,
    )
