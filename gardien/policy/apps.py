from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "gardien.policy"
    verbose_name = _("Privacy policy")

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import post_save

        from gardien.policy import checks  # noqa: F401  (registers the manifest check)
        from gardien.policy.models import PolicyVersion
        from gardien.security import forget_allowed_origins

        post_save.connect(forget_allowed_origins, sender=PolicyVersion)
        setting_changed.connect(forget_allowed_origins)
