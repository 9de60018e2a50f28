"""Forms of the strategy page: one per kind of object, choices limited to the workspace."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import User, Workspace
from tamtam.channels.models import Channel
from tamtam.strategy.models import (
    FIRST_DAY,
    LAST_DAY,
    BudgetLine,
    Campaign,
    Objective,
    Persona,
    Pillar,
    TargetMode,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkspaceForm(forms.ModelForm):
    """Limits every choice of another object to the workspace's own."""

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace
        querysets = {
            "channels": Channel.objects.filter(workspace=workspace),
            "campaign": Campaign.objects.filter(workspace=workspace),
            "pillars": Pillar.objects.filter(workspace=workspace),
            "personas": Persona.objects.filter(workspace=workspace),
            "owner": User.objects.filter(memberships__workspace=workspace).order_by("username"),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class ObjectiveForm(WorkspaceForm):
    class Meta:
        model = Objective
        fields = ["name", "kind", "metric", "target", "target_mode", "starts_on", "ends_on", "owner"]
        fields += ["channels", "campaign"]
        fields += ["notes"]
        help_texts = {
            "target_mode": _(
                "Followers only: a level to reach (10,000), or a growth over the period from the "
                "level the day before it starts (+2,000 followers, or +15 %)."
            )
        }
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "channels": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "channels": _("None ticked: every channel of the workspace counts."),
            "target": _("The value to reach over the period (a rate in %, a count, or an amount)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without it (older pages, scripts) means what it always meant: a level.
        self.fields["target_mode"].required = False

    def clean_target_mode(self) -> str:
        return self.cleaned_data.get("target_mode") or TargetMode.LEVEL


class PersonaForm(WorkspaceForm):
    class Meta:
        model = Persona
        fields = ["name", "description", "interests", "channels"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "interests": forms.Textarea(attrs={"rows": 2}),
            "channels": forms.CheckboxSelectMultiple,
        }
        labels = {"channels": _("Where they are (channels)")}


class PillarForm(WorkspaceForm):
    class Meta:
        model = Pillar
        fields = ["name", "description", "target_share", "color"]
        widgets = {
            "color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea({"rows": 2}),
        }
        labels = {"color": _("colour")}


class CampaignForm(WorkspaceForm):
    class Meta:
        model = Campaign
        fields = ["name", "starts_on", "ends_on", "utm_campaign", "color", "pillars", "personas"]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "color": forms.TextInput(attrs={"type": "color"}),
            "pillars": forms.CheckboxSelectMultiple,
            "personas": forms.CheckboxSelectMultiple,
        }
        labels = {"color": _("colour")}


class BudgetLineForm(WorkspaceForm):
    class Meta:
        model = BudgetLine
        fields = ["label", "category", "campaign", "planned_amount", "actual_amount", "currency"]
        fields += ["starts_on", "ends_on"]
        widgets = {"starts_on": DATE, "ends_on": DATE}
        help_texts = {"actual_amount": _("What has really been spent so far: the cost side of ROI.")}

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()


class PeriodForm(forms.Form):
    """The window of the pillar mix and the budget (GET parameters)."""

    start = forms.DateField(label=_("from"), widget=DATE)
    end = forms.DateField(label=_("to"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        for name in ("start", "end"):
            value = data.get(name)
            if isinstance(value, date) and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, _("a date between 2000-01-01 and 2100-12-31 is expected"))
                return data
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                self.add_error("end", _("The period must end on or after its start."))
            elif (end - start).days > 3660:
                self.add_error("end", _("The period cannot be longer than ten years."))
        return data


FORMS: dict[str, type[WorkspaceForm]] = {
    "objective": ObjectiveForm,
    "persona": PersonaForm,
    "pillar": PillarForm,
    "campaign": CampaignForm,
    "budget": BudgetLineForm,
}
