from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "gardien.newsletter"
    verbose_name = _("Newsletter")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:

        from gardien.newsletter import (
            checks,  # noqa: F401  (registers the Brevo check)
            services,
        )
        from gardien.processors.periodic import periodic

        periodic("newsletter.file", every=services.FILE_EVERY)(services.file_signups_job)
        # Expired sign-ups and the webhooks' replay memory go with the retention purge.
