from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    default = True
    name = "gardien.backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        from gardien.backoffice import signals
        from gardien.backoffice.roles import on_post_migrate

        # After every migration, the role groups get the permissions roles.py defines,
        # including those of models added since.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="gardien.backoffice.roles")
        # Role changes and policy publications are audited wherever they are made.
        signals.connect()


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, as Gardien's back office."""

    default = False
    default_site = "gardien.backoffice.site.GardienAdminSite"
