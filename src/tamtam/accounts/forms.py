from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Role, User, Workspace
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput


def add_service_error(
    form: forms.BaseForm, exc: InvalidInput | Conflict, field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service error next to the field it names (InvalidInput), else at the top of the form."""
    if isinstance(exc, InvalidInput):
        field = (field_map or {}).get(exc.field, exc.field)
        if field in form.fields:
            form.add_error(field, exc.message)
            return
    form.add_error(None, exc.message)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language"]


class WorkspaceSettingsForm(forms.ModelForm):
    # A text input with a datalist: 600 zones in a <select> are unusable, and a typo is caught below.
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("An IANA name such as Europe/Paris; every date of this workspace is shown in it."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    class Meta:
        model = Workspace
        fields = ["name", "time_zone", "language", "approval_policy"]
        labels = {"language": _("Content language"), "approval_policy": _("Approval")}
        help_texts = {"language": _("The language posts are written in: the spell check follows it.")}

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        try:
            timeutil.zone(value)
        except timeutil.UnknownTimeZoneError:
            raise forms.ValidationError(
                _("Unknown time zone “%(zone)s”: use an IANA name such as Europe/Paris or America/New_York."),
                code="unknown_zone",
                params={"zone": value},
            ) from None
        return value


class MemberAddForm(forms.Form):
    user = forms.CharField(label=_("Username or e-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.COMMUNITY)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args: object, actions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["action"].choices = [("", _("All actions")), *((a, a) for a in actions)]  # type: ignore[attr-defined]
