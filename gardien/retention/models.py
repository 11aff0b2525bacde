"""The receipts of the retention purge: what each run removed, per rule, with no personal data.

A :class:`PurgeRun` is one run of the purge (from the worker's daily job or from
``gardien purge``); it has one :class:`PurgeReceipt` per category of stored data it looked
at, with the rule it applied, how many rows went, how many were held by a restriction, and
how long it took. Receipts have their own period: the manifest's ``retention_receipt``
record (``gardien.retention.engine.RECEIPTS``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept, retained


@retained(activity="security", record="retention_receipt", timestamp="started_at")
class PurgeRun(models.Model):
    class Trigger(models.TextChoices):
        WORKER = "worker", _("daily job of the worker")
        COMMAND = "command", _("gardien purge")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    policy_version = models.PositiveIntegerField(_("policy version"))
    removed = models.PositiveBigIntegerField(_("rows removed"), default=0)
    held = models.PositiveBigIntegerField(_("rows held"), default=0)
    interrupted = models.BooleanField(_("stopped before the end"), default=False)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} ({self.removed})"


@kept(because=_("goes with its retention run"))
class PurgeReceipt(models.Model):
    class Outcome(models.TextChoices):
        DELETED = "deleted", _("deleted")
        ANONYMISED = "anonymised", _("anonymised")

    run = models.ForeignKey(PurgeRun, on_delete=models.CASCADE, related_name="receipts")
    category = models.CharField(_("stored data"), max_length=100)  # the model's label
    activity = models.CharField(_("activity"), max_length=64, blank=True)
    record = models.CharField(_("record"), max_length=64, blank=True)
    rule = models.CharField(_("rule"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    count = models.PositiveBigIntegerField(_("rows"))
    held = models.PositiveBigIntegerField(_("held by a restriction"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = _("retention receipt")
        verbose_name_plural = _("retention receipts")

    def __str__(self) -> str:
        return f"{self.category}: {self.count}"
