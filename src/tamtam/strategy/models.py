"""Strategy: objectives, personas, editorial pillars, campaigns and budget lines (DESIGN §8).

Objectives name a metric that `tamtam.analytics` computes; budget lines are the cost side of ROI.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace

non_negative = MinValueValidator(0, _("An amount cannot be negative."))
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def sane_day(value: date) -> None:
    # Far dates are typos, and a day after 9999-12-31 cannot even be computed.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(_("a date between 2000-01-01 and 2100-12-31 is expected"))


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. EUR."))


class Persona(models.Model):
    """A target audience: who they are, where they are (channels), what they care about."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("who they are"), blank=True)
    interests = models.TextField(_("what they care about"), blank=True)
    channels = models.ManyToManyField("channels.Channel", blank=True, related_name="personas")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pillar(models.Model):
    """An editorial pillar, with the share of posts it should take."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="pillars")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(max_length=7, default="#868e96")
    target_share = models.PositiveSmallIntegerField(
        _("target share (%)"), default=0, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts on"), null=True, blank=True, validators=[sane_day])
    ends_on = models.DateField(_("ends on"), null=True, blank=True, validators=[sane_day])
    utm_campaign = models.SlugField(_("UTM campaign"), max_length=80, blank=True)
    color = models.CharField(max_length=7, default="#f08c00")
    # A campaign is tagged like a post: the pillars it serves and the personas it targets.
    pillars = models.ManyToManyField(Pillar, blank=True, related_name="campaigns", verbose_name=_("pillars"))
    personas = models.ManyToManyField(
        Persona, blank=True, related_name="campaigns", verbose_name=_("personas")
    )

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The period must end on or after its start.")})


class ObjectiveKind(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    ENGAGEMENT = "engagement", _("Engagement")
    TRAFFIC = "traffic", _("Traffic")
    LEADS = "leads", _("Leads")
    REVENUE = "revenue", _("Revenue")
    IMAGE = "image", _("Image")


class Metric(models.TextChoices):
    """The metric names `tamtam.analytics.services.metric_total` understands."""

    IMPRESSIONS = "impressions", _("Impressions")
    REACH = "reach", _("Reach")
    ENGAGEMENTS = "engagements", _("Engagements")
    ENGAGEMENT_RATE = "engagement_rate", _("Engagement rate")
    CLICKS = "clicks", _("Clicks")
    UNIQUE_CLICKS = "unique_clicks", _("Unique clicks")
    FOLLOWERS = "followers", _("Followers")
    FOLLOWER_GROWTH = "follower_growth", _("Follower growth")
    POSTS_PUBLISHED = "posts_published", _("Posts published")
    CONVERSIONS = "conversions", _("Conversions")
    CONVERSION_VALUE = "conversion_value", _("Conversion value")


# Metrics whose value is a level or a ratio, not a sum of days: the forecast extrapolates the
# level itself instead of accumulating daily amounts.
LEVEL_METRICS = frozenset({Metric.FOLLOWERS, Metric.ENGAGEMENT_RATE})


class TargetMode(models.TextChoices):
    """How the target of a followers objective reads: a level to reach, or a growth over the period
    from the level the day before it starts (in followers or in percent of that level)."""

    LEVEL = "level", _("reach this level")
    GROWTH = "growth", _("grow by this many")
    GROWTH_PERCENT = "growth_percent", _("grow by this percentage")


class Objective(models.Model):
    """A measurable goal: reach `target` on `metric` between `starts_on` and `ends_on`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="objectives")
    kind = models.CharField(_("objective"), max_length=20, choices=ObjectiveKind.choices)
    name = models.CharField(_("name"), max_length=160)
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    # Followers only: "reach 10,000" (level), "+2,000 followers" (growth), "+15 %" (growth_percent).
    target_mode = models.CharField(
        _("target is"), max_length=16, choices=TargetMode.choices, default=TargetMode.LEVEL
    )
    starts_on = models.DateField(_("period start"), validators=[sane_day])
    ends_on = models.DateField(_("period end"), validators=[sane_day])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
        verbose_name=_("owner"),
    )
    # Optional scope: only these channels / this campaign count towards the objective.
    channels = models.ManyToManyField(
        "channels.Channel", blank=True, related_name="objectives", verbose_name=_("channels")
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
        verbose_name=_("campaign"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ends_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The period must end on or after its start.")
        if self.target is not None and self.target <= 0:
            errors["target"] = _("The target must be greater than zero.")
        if self.target_mode != TargetMode.LEVEL and self.metric != Metric.FOLLOWERS:
            errors["target_mode"] = _("A growth target is for the followers metric only.")
        if errors:
            raise ValidationError(errors)


class BudgetCategory(models.TextChoices):
    CONTENT = "content", _("Content production")
    PAID = "paid", _("Paid boosts")
    TOOLS = "tools", _("Tools")
    CONTESTS = "contests", _("Contests")
    INFLUENCERS = "influencers", _("Influencers")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    """Money planned and actually spent; the actual amounts are the cost in ROI (analytics)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="budget_lines")
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budget_lines",
        verbose_name=_("campaign"),
    )
    category = models.CharField(_("category"), max_length=20, choices=BudgetCategory.choices)
    label = models.CharField(_("label"), max_length=160)
    planned_amount = models.DecimalField(
        _("planned amount"), max_digits=14, decimal_places=2, default=0, validators=[non_negative]
    )
    actual_amount = models.DecimalField(
        _("actual amount"), max_digits=14, decimal_places=2, default=0, validators=[non_negative]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[currency_validator])
    starts_on = models.DateField(_("starts on"), validators=[sane_day])
    ends_on = models.DateField(_("ends on"), validators=[sane_day])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "category", "label"]
        indexes = [models.Index(fields=["workspace", "starts_on"])]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The period must end on or after its start.")})
