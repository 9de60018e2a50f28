"""What the listening views read: mentions of a workspace with filters, volume and sentiment over
time, share of voice, top authors, and trending terms (rising against their own baseline).

Trends (docs/listening.md): for each term (a word or a hashtag) the number of mentions holding it in
the recent window `c_w` (of `n_w` mentions) and in the baseline before it `c_b` (of `n_b`). Its
score is the smoothed log-ratio of the two rates,

    score = log2( ((c_w + 1) / (n_w + 2)) / ((c_b + 1) / (n_b + 2)) )

kept when `c_w >= min_support` and the score is positive: a term always frequent (the brand's own
name) has a ratio near 1 and scores about 0; a term new this window scores high; the +1 smoothing
keeps a single lucky mention from topping the list.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.listening.models import ListeningAuthor, Mention, MentionMatch, Query, QueryKind, Sentiment
from tamtam.listening.normalize import normalize

_STOPWORDS_TEXT = """
le la les un une des de du et ou mais donc car ni que qui quoi dont au aux ce cet cette ces mon ma
mes ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle on nous vous ils elles me te se
pas plus ne en dans sur sous pour par avec sans chez est sont etre avoir ai as avons avez ont fait
tres tout tous toute toutes bien aussi comme si y c j l d n s m t qu deja encore the an and or but if
of to in on at for with from by is are was were be been it its this that these those i you he she we
they my your our their not no so just very can will would has have had do does did what when who
how why all any more most some such than too rt via https http www com fr
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass
class MentionFilters:
    query_id: int | None = None
    sentiment: str = ""
    lang: str = ""
    source_id: int | None = None
    author: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""
    include_duplicates: bool = False


def mentions(workspace: Workspace, filters: MentionFilters | None = None) -> QuerySet[Mention]:
    """The workspace's mentions (through its queries' matches), newest first."""
    f = filters or MentionFilters()
    matches = MentionMatch.objects.filter(workspace=workspace)
    if f.query_id:
        matches = matches.filter(query_id=f.query_id)
    qs = Mention.objects.filter(pk__in=matches.values("mention_id"))
    if f.sentiment:
        qs = qs.filter(sentiment=f.sentiment)
    if f.lang:
        qs = qs.filter(lang=f.lang)
    if f.source_id:
        qs = qs.filter(source_links__source_id=f.source_id)
    if f.author:
        qs = qs.filter(author_handle__icontains=f.author.lstrip("@"))
    tz = workspace.tz
    if f.since:
        qs = qs.filter(published_at__gte=datetime.combine(f.since, datetime.min.time(), tzinfo=tz))
    if f.until:
        qs = qs.filter(
            published_at__lt=datetime.combine(f.until + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        )
    if f.text:
        qs = qs.filter(text__icontains=f.text)
    if not f.include_duplicates:
        qs = qs.filter(duplicate_of_hash="")
    return qs.select_related("author").order_by("-published_at", "-pk")


def volume_series(workspace: Workspace, days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """Mentions per hour (≤ 2 days) or per day, split by sentiment: what the volume chart draws."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    trunc = TruncHour if days <= 2 else TruncDay
    rows = (
        MentionMatch.objects.filter(workspace=workspace, published_at__gte=since)
        .annotate(bucket=trunc("published_at", tzinfo=workspace.tz))
        .values("bucket", "sentiment")
        .annotate(n=Count("mention_id", distinct=True))
        .order_by("bucket")
    )
    buckets: dict[datetime, dict[str, int]] = {}
    for row in rows:
        buckets.setdefault(row["bucket"], dict.fromkeys(Sentiment.values, 0))[row["sentiment"]] = row["n"]
    labels = sorted(buckets)
    fmt = "%d/%m %Hh" if days <= 2 else "%d/%m"
    return {
        "labels": [b.astimezone(workspace.tz).strftime(fmt) for b in labels],
        "series": {s: [buckets[b][s] for b in labels] for s in Sentiment.values},
    }


@dataclass
class Voice:
    query: Query
    mentions: int
    negative: int
    share: float  # of the brand + competitor total, 0 to 100

    @property
    def negative_share(self) -> float:
        return 100 * self.negative / self.mentions if self.mentions else 0.0


def share_of_voice(workspace: Workspace, days: int = 30, now: datetime | None = None) -> list[Voice]:
    """Brand and competitor queries: how much each is talked about, and how negatively."""
    since = (now or timezone.now()) - timedelta(days=days)
    queries = {
        q.pk: q
        for q in Query.objects.filter(workspace=workspace, kind__in=[QueryKind.BRAND, QueryKind.COMPETITOR])
    }
    rows = (
        MentionMatch.objects.filter(query_id__in=queries, published_at__gte=since)
        .values("query_id")
        .annotate(n=Count("id"), neg=Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)))
    )
    counts = {r["query_id"]: (r["n"], r["neg"]) for r in rows}
    total = sum(n for n, _ in counts.values())
    voices = [
        Voice(
            q,
            counts.get(pk, (0, 0))[0],
            counts.get(pk, (0, 0))[1],
            100 * counts.get(pk, (0, 0))[0] / total if total else 0.0,
        )
        for pk, q in queries.items()
    ]
    return sorted(voices, key=lambda v: (v.query.kind != QueryKind.BRAND, -v.mentions))


@dataclass
class AuthorRow:
    author: ListeningAuthor
    mentions: int
    positive: int
    neutral: int
    negative: int

    @property
    def tone(self) -> str:
        """How they talk about the workspace's subjects: the dominant sentiment."""
        best = max((self.positive, "positive"), (self.neutral, "neutral"), (self.negative, "negative"))
        return best[1]


def top_authors(
    workspace: Workspace,
    days: int = 30,
    limit: int = 50,
    order: str = "influence",
    now: datetime | None = None,
) -> list[AuthorRow]:
    since = (now or timezone.now()) - timedelta(days=days)
    ids = MentionMatch.objects.filter(workspace=workspace, published_at__gte=since).values("mention_id")
    rows = (
        Mention.objects.filter(pk__in=ids, author__isnull=False)
        .values("author_id")
        .annotate(
            n=Count("id"),
            pos=Count("id", filter=Q(sentiment=Sentiment.POSITIVE)),
            neu=Count("id", filter=Q(sentiment=Sentiment.NEUTRAL)),
            neg=Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)),
        )
    )
    stats = {r["author_id"]: r for r in rows}
    authors = ListeningAuthor.objects.filter(pk__in=stats)
    result = [
        AuthorRow(a, stats[a.pk]["n"], stats[a.pk]["pos"], stats[a.pk]["neu"], stats[a.pk]["neg"])
        for a in authors
    ]
    if order == "mentions":
        result.sort(key=lambda r: (-r.mentions, -r.author.influence))
    elif order == "reach":
        result.sort(key=lambda r: (-(r.author.followers or 0), -r.mentions))
    else:
        result.sort(key=lambda r: (-r.author.influence, -r.mentions))
    return result[:limit]


@dataclass
class Trend:
    term: str
    recent: int
    baseline: int
    score: float


def rising_terms(
    recent_texts: list[str], baseline_texts: list[str], *, min_support: int = 3, limit: int = 20
) -> tuple[list[Trend], list[Trend]]:
    """(words, hashtags) rising in `recent_texts` against `baseline_texts` (pure; see module doc)."""
    recent = _document_frequency(recent_texts)
    baseline = _document_frequency(baseline_texts)
    n_w, n_b = len(recent_texts), len(baseline_texts)
    words: list[Trend] = []
    tags: list[Trend] = []
    for term, c_w in recent.items():
        if c_w < min_support:
            continue
        c_b = baseline.get(term, 0)
        score = math.log2(((c_w + 1) / (n_w + 2)) / ((c_b + 1) / (n_b + 2)))
        if score <= 0:
            continue
        (tags if term.startswith("#") else words).append(Trend(term, c_w, c_b, round(score, 2)))
    key = lambda t: (-t.score, -t.recent, t.term)  # noqa: E731
    return sorted(words, key=key)[:limit], sorted(tags, key=key)[:limit]


def _document_frequency(texts: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        terms = set()
        for token in normalize(text).tokens:
            if token.startswith("@"):
                continue
            bare = token.lstrip("#")
            if len(bare) < 3 or bare.isdigit() or bare in STOPWORDS:
                continue
            terms.add(token)
        counts.update(terms)
    return counts


def trends(
    workspace: Workspace,
    *,
    window: timedelta = timedelta(hours=24),
    baseline: timedelta = timedelta(days=7),
    now: datetime | None = None,
    min_support: int = 3,
    scan: int = 20_000,
) -> tuple[list[Trend], list[Trend]]:
    now = now or timezone.now()
    start = now - window
    ids = MentionMatch.objects.filter(workspace=workspace, published_at__gte=start - baseline).values(
        "mention_id"
    )
    rows = Mention.objects.filter(pk__in=ids, duplicate_of_hash="").order_by("-published_at")
    recent_texts: list[str] = []
    baseline_texts: list[str] = []
    for text, published in rows.values_list("text", "published_at")[:scan].iterator(chunk_size=2000):
        (recent_texts if published >= start else baseline_texts).append(text)
    return rising_terms(recent_texts, baseline_texts, min_support=min_support)


@dataclass
class CloudTerm:
    term: str
    recent: int
    baseline: int
    score: float
    size: float  # font size in rem: the rise (score) decides it
    weight: int  # 400 to 800: how often it was said in the window


CLOUD_SMALLEST, CLOUD_LARGEST = 0.9, 2.8


def word_cloud(words: list[Trend], tags: list[Trend]) -> list[CloudTerm]:
    """The rising terms as a word cloud: size by rise (the trend score, scaled between the smallest
    and the largest score of the set), weight by frequency in the window; alphabetical, so a term is
    found where a reader expects it (the ranked list next to it gives the order)."""
    terms = words + tags
    if not terms:
        return []
    low, high = min(t.score for t in terms), max(t.score for t in terms)
    most = max(t.recent for t in terms)
    cloud = []
    for t in terms:
        rise = (t.score - low) / (high - low) if high > low else 1.0
        # A square root keeps the small ones readable when one term rises far above the rest.
        size = CLOUD_SMALLEST + (CLOUD_LARGEST - CLOUD_SMALLEST) * math.sqrt(rise)
        weight = 400 + 100 * round(4 * t.recent / most)
        cloud.append(CloudTerm(t.term, t.recent, t.baseline, t.score, round(size, 2), weight))
    return sorted(cloud, key=lambda c: (c.term.lstrip("#"), c.term))
