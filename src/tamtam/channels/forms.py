"""Forms of the channel pages. They parse and type the input; the rules live in channels/services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tamtam.channels.models import Channel
from tamtam.channels.services import SandboxDials, flavor_choices, flavor_of


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
