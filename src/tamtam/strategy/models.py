"""Strategy: personas, editorial pillars and campaigns (objectives and budget lines come with analytics)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace


class Persona(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("who they are, what they care about"), blank=True)
    channels = models.ManyToManyField("channels.Channel", blank=True, related_name="personas")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pillar(models.Model):
    """An editorial pillar, with the share of posts it should take."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="pillars")
    name = models.CharField(_("name"), max_length=120)
    color = models.CharField(max_length=7, default="#868e96")
    target_share = models.PositiveSmallIntegerField(_("target share (%)"), default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    utm_campaign = models.SlugField(_("UTM campaign"), max_length=80, blank=True)
    color = models.CharField(max_length=7, default="#f08c00")

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name
