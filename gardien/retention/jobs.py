"""The retention app's registrations: the worker's daily purge, and what other projects'
models (task results, sessions, the admin's log, accounts) are kept for."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: How often the worker asks whether the daily purge is due (it runs once a day).
CHECK_EVERY = dt.timedelta(minutes=15)


def _finished_tasks() -> Q:
    return Q(finished_at__isnull=False)


def declare_other_projects_models() -> None:
    """Models of Django and of libraries Gardien stores rows in, declared like Gardien's."""
    from django.apps import apps

    from gardien.retention.registry import kept, retained, technical

    def model(label: str) -> type | None:
        try:
            return apps.get_model(label)
        except LookupError:
            return None

    found = model("django_tasks_database.DBTaskResult")
    if found is not None:
        # Attempts of background work (ids only, no personal value): kept as the task log.
        retained(
            activity="security", record="task_log", timestamp="finished_at", only=_finished_tasks
        )(found)
    found = model("sessions.Session")
    if found is not None:
        technical(expires="expire_date", because=_("a back-office session ends then"))(found)
    found = model("admin.LogEntry")
    if found is not None:
        retained(activity="security", timestamp="action_time")(found)
    for label, why in (
        ("auth.User", _("staff accounts stay while the person has access; `gardien staff`")),
        ("auth.Group", _("the back-office roles")),
        ("auth.Permission", _("what each role may do")),
        ("contenttypes.ContentType", _("Django's list of tables")),
        ("otp_totp.TOTPDevice", _("a staff member's second factor, gone with their account")),
        ("otp_static.StaticDevice", _("a staff member's backup codes, gone with their account")),
        ("otp_static.StaticToken", _("a staff member's backup codes, gone with their account")),
    ):
        found = model(label)
        if found is not None:
            kept(because=why)(found)


def purge_daily() -> None:
    from gardien.retention import engine

    engine.run_if_scheduled()


def register_periodic_jobs() -> None:
    from gardien.processors.periodic import periodic

    # The purge keeps a lease of its own between batches, so this one can stay short.
    periodic("retention.purge", every=CHECK_EVERY)(purge_daily)
