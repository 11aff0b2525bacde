from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "gardien.contact"
    verbose_name = _("Contact form")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gardien.contact import checks  # noqa: F401  (registers the notification check)
        from gardien.contact.services import FILE_EVERY, file_received_job
        from gardien.processors.periodic import periodic

        periodic("contact.file", every=FILE_EVERY)(file_received_job)
