from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "gardien.rights"
    verbose_name = _("Rights requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gardien.processors.periodic import periodic
        from gardien.rights import jobs

        periodic("rights.daily_list", every=jobs.CHECK_EVERY)(jobs.send_daily_list_if_due)
