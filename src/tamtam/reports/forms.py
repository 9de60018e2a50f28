"""Forms of the report builder, its schedules, share links and the agency's branding."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tamtam.reports import sections
from tamtam.reports.models import Report, ReportSchedule

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ReportForm(forms.ModelForm):
    sections = forms.MultipleChoiceField(
        label=_("Sections"), widget=forms.CheckboxSelectMultiple, choices=sections.choices
    )

    class Meta:
        model = Report
        fields = ["name", "period", "start", "end", "compare_previous"]
        widgets = {"start": DATE, "end": DATE}
        help_texts = {"start": _("Custom period only.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sections"].choices = sections.choices()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["sections"] = self.instance.sections


class ScheduleForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(label=_("weekday"), choices=WEEKDAYS, coerce=int, initial=0)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = ReportSchedule
        fields = ["frequency", "weekday", "day_of_month", "hour", "recipients", "language"]
        fields += ["attach_pdf", "attach_csv"]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "recipients": _("One address per line. People without an account receive the report itself."),
            "day_of_month": _("Monthly: 1 to 28."),
            "hour": _("In the workspace's time zone, 0 to 23."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day_of_month"].min_value = 1  # type: ignore[attr-defined]
        self.fields["day_of_month"].max_value = 28  # type: ignore[attr-defined]
        self.fields["hour"].max_value = 23  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["active"] = self.instance.state != "paused"


class ShareForm(forms.Form):
    label = forms.CharField(label=_("label"), max_length=120, required=False)
    expires_in_days = forms.IntegerField(
        label=_("expires after (days)"), min_value=1, max_value=3650, required=False
    )


class BrandingForm(forms.Form):
    brand_color = forms.RegexField(
        label=_("brand colour"), regex=r"^#[0-9a-fA-F]{6}$", widget=forms.TextInput(attrs={"type": "color"})
    )
    accent_color = forms.RegexField(
        label=_("accent colour"), regex=r"^#[0-9a-fA-F]{6}$", widget=forms.TextInput(attrs={"type": "color"})
    )
    logo = forms.FileField(label=_("logo"), required=False, help_text=_("PNG, JPEG or WebP, at most 1 MB."))
    remove_logo = forms.BooleanField(label=_("remove the logo"), required=False)
