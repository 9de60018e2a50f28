"""Forms of the listening pages; validation of meaning lives in services (errors come back to fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tamtam.listening.models import QueryKind, Sentiment, SourceKind, WatchStatus


class QueryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=QueryKind.choices, initial=QueryKind.BRAND)
    expression = forms.CharField(
        label=_("Expression"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "data-testid": "query-expression"}),
        help_text=_(
            'AND, OR, NOT, ( ), "exact phrase", boul*, colo?r, #hashtag, @mention, lang:fr, author:@name, '
            "a NEAR/3 b"
        ),
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        help_text=_("Comma-separated codes (fr, en); empty: every language."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=1000,
        help_text=_(
            "RSS/Atom feed: the feed URL. Bluesky firehose: a relay such as wss://bsky.network, or "
            "empty to read the PDS of the chosen Bluesky channel."
        ),
    )
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)
    search = forms.CharField(
        label=_("Search terms"),
        required=False,
        max_length=500,
        help_text=_("Network search only; empty: the words of this workspace's queries."),
    )
    start_seq = forms.IntegerField(
        label=_("Start from sequence number"),
        required=False,
        min_value=0,
        help_text=_(
            "Bluesky firehose only: where the first run begins (0: everything the server still keeps); "
            "empty: from the first run on."
        ),
    )
    interval_seconds = forms.IntegerField(
        label=_("Fetch every (seconds)"), initial=300, min_value=60, max_value=86400
    )

    def __init__(self, *args: Any, channels: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "—"), *(channels or [])]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class WatchStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=WatchStatus.choices)


class MentionFilterForm(forms.Form):
    query = forms.TypedChoiceField(label=_("Query"), required=False, coerce=int, empty_value=None)
    sentiment = forms.ChoiceField(
        label=pgettext_lazy("listening", "Sentiment"), required=False, choices=[("", "—"), *Sentiment.choices]
    )
    lang = forms.CharField(label=_("Language"), required=False, max_length=8)
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    author = forms.CharField(label=_("Author"), required=False, max_length=200)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=_("Text contains"), required=False, max_length=200)
    duplicates = forms.BooleanField(label=_("Show duplicates"), required=False)

    def __init__(
        self,
        *args: Any,
        queries: list[tuple[int, str]] | None = None,
        sources: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["query"].choices = [("", "—"), *(queries or [])]  # type: ignore[attr-defined]
        self.fields["source"].choices = [("", "—"), *(sources or [])]  # type: ignore[attr-defined]
