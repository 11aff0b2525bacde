from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "gardien.newsletter"
    verbose_name = _("Newsletter")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import datetime as dt

        from gardien.newsletter import (
            checks,  # noqa: F401  (registers the Brevo check)
            services,
            webhooks,
        )
        from gardien.processors.periodic import periodic

        periodic("newsletter.file", every=services.FILE_EVERY)(services.file_signups_job)
        periodic("newsletter.expire", every=dt.timedelta(hours=1))(services.purge_expired_signups)
        periodic("newsletter.webhook_events", every=dt.timedelta(hours=6))(
            webhooks.forget_old_events
        )
