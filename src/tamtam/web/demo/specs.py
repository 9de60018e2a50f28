"""The shapes of the demo's content: brands, channels, posts and their strategy kit (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    name: str
    flavor: str
    handle: str
    dials: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PostSpec:
    state: str  # the TargetState the post's targets should end in
    channels: tuple[str, ...]
    text: str
    when: tuple[int, str] | None = None
    pillar: int | None = None  # index in the brand's pillars
    campaign: bool = False
    image: int | None = None  # index in the brand's images
    link: str = ""
    comment: str = ""  # the reviewer's comment (changes requested, or with the approval)
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str = ""


@dataclass(frozen=True)
class ObjectiveSpec:
    kind: str  # strategy.ObjectiveKind
    name: str
    metric: str  # strategy.Metric
    target: str  # a decimal, as typed in the form
    channels: tuple[str, ...] = ()  # none: every channel counts
    campaign: bool = False


@dataclass(frozen=True)
class BudgetSpec:
    category: str  # strategy.BudgetCategory
    label: str
    planned: str
    actual: str
    campaign: bool = False


@dataclass(frozen=True)
class ListeningSpec:
    """What the sandbox mention stream talks about, and the two queries that listen to it."""

    brand: str
    competitors: tuple[str, ...]
    products: tuple[str, ...]
    brand_query: tuple[str, str]  # name, expression
    competitor_query: tuple[str, str]
    source_name: str


@dataclass(frozen=True)
class InsightSpec:
    """The brand's objectives, budget, tracking, report, listening and crisis kit (strategy,
    analytics, reports, listening and crisis apps)."""

    currency: str
    objectives: tuple[ObjectiveSpec, ...]
    budget: tuple[BudgetSpec, ...]
    tracking: bool  # links shortened and counted; clicks and conversions recorded
    order_label: str  # the label of the demo's conversions (an online order)
    report_name: str
    listening: ListeningSpec
    rule_name: str
    # (language, title, text): every brand keeps a statement in French and one in English.
    statements: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class BrandSpec:
    name: str
    slug: str
    time_zone: str
    language: str
    approval_policy: str
    color: str
    channels: tuple[ChannelSpec, ...]
    personas: tuple[tuple[str, str, tuple[str, ...]], ...]  # name, description, channel keys
    pillars: tuple[tuple[str, int, str], ...]  # name, target share %, colour
    campaign: tuple[str, str]  # name, utm_campaign
    images: tuple[tuple[str, str], ...]  # (colour, alt text)
    queue: tuple[str, tuple[tuple[int, str], ...], tuple[str, ...]]  # name, (weekday, HH:MM), channels
    queued: PostSpec
    recurring: tuple[str, tuple[str, ...], str]  # text, channels, RRULE (wall clock)
    posts: tuple[PostSpec, ...]
    insights: InsightSpec | None = None
