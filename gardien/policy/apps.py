from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "gardien.policy"
    verbose_name = _("Privacy policy")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Imported for what they register: the manifest check, the register's downloads.
        from gardien.policy import checks, downloads  # noqa: F401
        from gardien.policy.models import PolicyVersion
        from gardien.policy.services import invalidate

        post_save.connect(invalidate, sender=PolicyVersion, dispatch_uid="policy-published-save")
        post_delete.connect(invalidate, sender=PolicyVersion, dispatch_uid="policy-published-del")
