"""Forms of the crisis pages (validation of meaning lives in the services; these only shape input)."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tamtam.crisis.models import DetectorKind, IncidentStatus, Sensitivity, SeriesKind, WebhookFormat

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    query = forms.TypedChoiceField(label=_("Listening query"), coerce=int)
    series = forms.ChoiceField(label=_("Series"), choices=SeriesKind.choices, initial=SeriesKind.ALL)
    detector = forms.ChoiceField(
        label=_("Detector"), choices=DetectorKind.choices, initial=DetectorKind.NB_CUSUM
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"), choices=Sensitivity.choices, initial=Sensitivity.NORMAL
    )
    expert = forms.CharField(
        label=_("Expert parameters (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_(
            'Optional, over the sensitivity, e.g. {"margin": 2, "cooldown_h": 3}. See the crisis guide.'
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False, widget=TIME)
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False, widget=TIME)
    notify_in_app = forms.BooleanField(label=_("Notify in the app"), required=False, initial=True)
    email_to = forms.CharField(
        label=_("E-mail recipients"), required=False, help_text=_("Comma-separated addresses.")
    )
    webhook_url = forms.CharField(
        label=_("Webhook URL"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Slack or Teams incoming webhook, or any URL taking JSON. Leave empty to keep the stored one."
        ),
    )
    remove_webhook = forms.BooleanField(label=_("Remove the webhook"), required=False)
    webhook_format = forms.ChoiceField(label=_("Webhook format"), choices=WebhookFormat.choices)

    def __init__(self, *args: Any, queries: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["query"]).choices = queries or []

    def clean_expert(self) -> Any:
        text = (self.cleaned_data.get("expert") or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("not JSON (line %(line)s, column %(col)s)") % {"line": exc.lineno, "col": exc.colno}
            ) from None


class StatementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}))


class PublishStatementForm(forms.Form):
    channels = forms.TypedMultipleChoiceField(
        label=_("Channels"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    incident = forms.TypedChoiceField(label=_("Incident"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        channels: list[tuple[int, str]] | None = None,
        incidents: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channels"]).choices = channels or []
        cast(forms.ChoiceField, self.fields["incident"]).choices = [("", "—"), *(incidents or [])]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)


class BacktestForm(forms.Form):
    query = forms.TypedChoiceField(label=_("Listening query"), coerce=int)
    series = forms.ChoiceField(label=_("Series"), choices=SeriesKind.choices, initial=SeriesKind.ALL)
    detector = forms.ChoiceField(
        label=_("Detector"), choices=DetectorKind.choices, initial=DetectorKind.NB_CUSUM
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"), choices=Sensitivity.choices, initial=Sensitivity.NORMAL
    )
    days = forms.TypedChoiceField(
        label=_("History"),
        coerce=int,
        initial=7,
        choices=[(2, _("2 days")), (7, _("7 days")), (14, _("14 days")), (30, _("30 days"))],
    )
    expert = forms.CharField(label=_("Expert parameters (JSON)"), required=False)

    def __init__(self, *args: Any, queries: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["query"]).choices = queries or []
