from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    default = True
    name = "gardien.backoffice"
    verbose_name = "Back office"


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, as Gardien's back office."""

    default = False
    default_site = "gardien.backoffice.site.GardienAdminSite"
