from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "gardien.retention"
    verbose_name = _("Retention")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gardien.retention import checks, jobs  # noqa: F401  (registers the check)

        jobs.declare_other_projects_models()
        jobs.register_periodic_jobs()
