"""What the back office leaves out of Django's and its libraries' own admin pages.

django-otp registers pages for its TOTP and static devices, django-tasks-db one for task
results. None is of use to a DPO, and each invites a mistake: Gardien's second factors are
its own encrypted devices, reset with ``gardien staff otp-reset`` (which audits the reset),
so the plain TOTP table is always empty and editing backup codes by hand would bypass the
audit; the task results repeat, in a developer's terms, what the outbox page
(processors) shows of every delivery. This module is loaded after theirs (the back office
is listed after them in INSTALLED_APPS), so the pages are gone for superusers too.
"""

from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

for model in (StaticDevice, TOTPDevice, DBTaskResult):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
