from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "gardien.policy"
    verbose_name = _("Privacy policy")

    def ready(self) -> None:
        from gardien.policy import checks  # noqa: F401  (registers the manifest check)
