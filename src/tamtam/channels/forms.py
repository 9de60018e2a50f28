"""Forms of the channel pages. They parse and type the input; the rules live in channels/services.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tamtam.channels.models import Channel
from tamtam.channels.services import SandboxDials, flavor_choices, flavor_of
from tamtam.networks.base import ConnectField, setting_choices


class ChannelIdentityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    handle = forms.CharField(
        label=_("Handle"),
        max_length=200,
        required=False,
        help_text=_("The account's @name, as the network shows it."),
    )
    daily_cap = forms.IntegerField(
        label=_("Daily publishing cap"),
        required=False,
        min_value=1,
        help_text=_("Empty: the network's own cap."),
    )


class NetworkSettingsForm(ChannelIdentityForm):
    """A real account's edit form: its identity, plus the settings its connector declares
    (`Connector.setting_fields`: Reddit's subreddit, Pinterest's board, YouTube's privacy…)."""

    def __init__(
        self, setting_fields: Sequence[ConnectField], options: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setting_names = [f.name for f in setting_fields]
        for spec in setting_fields:
            current = options.get(spec.name)
            if isinstance(current, list):
                current = ", ".join(str(v) for v in current)
            field: forms.Field
            if spec.kind == "choice":
                choices: list[tuple[str, Any]] = list(setting_choices(spec, options))
                if not spec.required:
                    choices = [("", _("The network's default"))] + [c for c in choices if c[0]]
                field = forms.ChoiceField(
                    label=spec.label, required=spec.required, help_text=spec.help_text, choices=choices
                )
            else:
                attrs = {"placeholder": spec.placeholder} if spec.placeholder else {}
                field = forms.CharField(
                    label=spec.label,
                    required=spec.required,
                    help_text=spec.help_text,
                    max_length=500,
                    widget=forms.TextInput(attrs=attrs),
                )
            field.initial = "" if current is None else str(current)
            self.fields[spec.name] = field

    def settings(self) -> dict[str, str]:
        return {name: str(self.cleaned_data.get(name) or "") for name in self.setting_names}


class SandboxForm(ChannelIdentityForm):
    """A simulated account: the network it poses as, and the dials of its simulated API."""

    flavor = forms.ChoiceField(
        label=_("Poses as"),
        required=False,
        help_text=_("Its text and media rules are those of this network."),
    )
    latency_ms = forms.IntegerField(label=_("Latency (ms)"), min_value=0, max_value=60_000, initial=300)
    error_rate = forms.FloatField(
        label=_("Transient error rate"),
        min_value=0,
        max_value=1,
        initial=0,
        help_text=_("Share of calls answered 503 (0.05 = 5%)."),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Rate limit per minute"), min_value=0, initial=0, help_text=_("0: no limit.")
    )
    ambiguous_rate = forms.FloatField(
        label=_("Ambiguous timeout rate"),
        min_value=0,
        max_value=1,
        initial=0,
        help_text=_("Share of calls stored by the network whose answer is lost."),
    )
    permanent_rate = forms.FloatField(
        label=_("Refusal rate"),
        min_value=0,
        max_value=1,
        initial=0,
        help_text=_("Share of calls refused by moderation."),
    )
    audience_size = forms.IntegerField(label=_("Audience size"), min_value=0, initial=1000)
    idempotent = forms.BooleanField(label=_("Honours idempotency keys"), required=False)
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        help_text=_("Makes the simulation reproducible. Empty: the channel's id."),
    )

    field_order = [
        "name",
        "handle",
        "flavor",
        "daily_cap",
        "latency_ms",
        "error_rate",
        "rate_limit_per_minute",
        "ambiguous_rate",
        "permanent_rate",
        "audience_size",
        "idempotent",
        "seed",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["flavor"].choices = flavor_choices()  # type: ignore[attr-defined]

    @classmethod
    def for_channel(cls, channel: Channel, data: Any = None) -> SandboxForm:
        dials = SandboxDials.from_options(channel.options)
        initial = {
            "name": channel.name,
            "handle": channel.handle,
            "daily_cap": channel.daily_cap,
            "flavor": flavor_of(channel),
            **vars(dials),
        }
        return cls(data, initial=initial)

    def dials(self) -> SandboxDials:
        data = self.cleaned_data
        return SandboxDials(
            latency_ms=data["latency_ms"],
            error_rate=data["error_rate"],
            rate_limit_per_minute=data["rate_limit_per_minute"],
            ambiguous_rate=data["ambiguous_rate"],
            permanent_rate=data["permanent_rate"],
            audience_size=data["audience_size"],
            idempotent=data["idempotent"],
            seed=data["seed"],
        )


class NetworkConnectForm(forms.Form):
    """The connect form a network declares (`Connector.connect_fields`): one generic form for them all.
    Secret fields render as password inputs and are never sent back to the browser."""

    def __init__(self, fields: Sequence[ConnectField], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in fields:
            attrs = {"autocomplete": "off"} if spec.secret else {}
            if spec.placeholder:
                attrs["placeholder"] = spec.placeholder
            widget: forms.Widget
            if spec.secret or spec.kind == "password":
                widget = forms.PasswordInput(attrs=attrs, render_value=False)
            elif spec.kind == "url":
                widget = forms.URLInput(attrs=attrs)
            else:
                widget = forms.TextInput(attrs=attrs)
            self.fields[spec.name] = forms.CharField(
                label=spec.label,
                required=spec.required,
                help_text=spec.help_text,
                widget=widget,
                max_length=2000,
                strip=True,
            )
