"""Why an alert fired: expected vs observed, the terms that are new, the authors and the mentions
driving the spike, the sentiment mix, and the link to those mentions in listening.

Read from the stored mentions of the alert's query in a short window ending with the minute that
fired, against the week before it (the same "rising terms" measure as the listening trends page).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from tamtam.listening.analytics import rising_terms
from tamtam.listening.models import Mention, MentionMatch, Query, Sentiment

WINDOW = timedelta(minutes=15)
BASELINE = timedelta(days=7)
SCAN = 5000  # mentions read at most per side: enough for terms, bounded in a burst
TOP = 5


def mentions_link(query: Query, start: datetime, end: datetime, series: str) -> str:
    params = {"query": query.pk, "since": start.date().isoformat(), "until": end.date().isoformat()}
    if series != "all":
        params["sentiment"] = Sentiment.NEGATIVE
    return reverse("listening:mentions", args=[query.workspace_id]) + "?" + urlencode(params)


def explain(query: Query, bucket_start: datetime, series: str) -> dict[str, Any]:
    end = bucket_start + timedelta(minutes=1)
    start = end - WINDOW
    matches = MentionMatch.objects.filter(query=query, published_at__gte=start, published_at__lt=end)
    mix: Counter[str] = Counter()
    for sentiment in matches.values_list("sentiment", flat=True).iterator():
        mix[sentiment] += 1
    driving = Mention.objects.filter(pk__in=matches.values("mention_id"))
    if series != "all":
        driving = driving.filter(sentiment=Sentiment.NEGATIVE)
    rows = list(
        driving.order_by("-influence", "-shares", "-published_at").values(
            "pk",
            "text",
            "url",
            "author_handle",
            "influence",
            "sentiment",
            "published_at",
            "network",
            "shares",
        )[:SCAN]
    )
    authors: Counter[str] = Counter()
    influence: dict[str, float] = {}
    for row in rows:
        handle = row["author_handle"] or "?"
        authors[handle] += 1
        influence[handle] = max(influence.get(handle, 0.0), float(row["influence"]))
    baseline_ids = MentionMatch.objects.filter(
        query=query, published_at__gte=start - BASELINE, published_at__lt=start
    ).values("mention_id")
    baseline_texts = list(
        Mention.objects.filter(pk__in=baseline_ids, duplicate_of_hash="")
        .order_by("-published_at")
        .values_list("text", flat=True)[:SCAN]
    )
    words, tags = rising_terms([r["text"] for r in rows], baseline_texts, min_support=2, limit=TOP)
    return {
        "window": [start.isoformat(), end.isoformat()],
        "sentiment": {s: mix.get(s, 0) for s in Sentiment.values},
        "terms": [{"term": t.term, "recent": t.recent, "baseline": t.baseline} for t in words + tags][
            : TOP * 2
        ],
        "authors": [
            {"handle": h, "mentions": n, "influence": round(influence[h], 1)}
            for h, n in authors.most_common(TOP)
        ],
        "samples": [
            {
                "text": r["text"][:280],
                "url": r["url"],
                "author": r["author_handle"],
                "sentiment": r["sentiment"],
                "network": r["network"],
                "published_at": r["published_at"].isoformat(),
            }
            for r in rows[:TOP]
        ],
        "link": mentions_link(query, start, end, series),
    }
