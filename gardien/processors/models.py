"""The outbox: one row per outbound effect (a mail, a call to a processor), across its attempts.

The django-tasks-db row (``DBTaskResult``) is one attempt; an :class:`OutboxItem` is the
effect itself, so the DPO sees one line per effect with its attempts and last error. Both
hold ids only: what an effect needs is read from the vault when the task runs.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.lib import clock
from gardien.retention.registry import kept, retained


def _finished() -> models.Q:
    return models.Q(state__in=["done", "skipped"])


@retained(activity="security", record="task_log", timestamp="updated_at", only=_finished)
class OutboxItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        SKIPPED = "skipped", _("skipped (restricted)")
        DEAD = "dead", _("dead (needs attention)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.CharField(_("task"), max_length=255)
    arguments = models.JSONField(_("arguments (ids only)"), default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # The django-tasks-db row of the current (or last) attempt.
    task_result_id = models.UUIDField(_("current task row"), null=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "updated_at"], name="outbox_state_updated")]
        permissions = [("retry_outboxitem", _("Can retry a dead outbox item"))]

    def __str__(self) -> str:
        return f"{self.task_name} {str(self.id)[:8]}"

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]


@kept(because=_("one row per periodic job of the worker"))
class PeriodicLock(models.Model):
    """A lease per periodic job, so one worker at a time runs it, at most every ``every``.

    Lease and schedule times are wall-clock (``timezone.now()``), not Gardien's clock: they
    coordinate processes, and a ``--now`` simulation must not push the next real run away.
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job lock")
        verbose_name_plural = _("periodic job locks")

    def __str__(self) -> str:
        return self.name
