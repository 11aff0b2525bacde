from django.urls import path

from gardien.consent import delivery, views
from gardien.lib.urls import localized

urlpatterns = [
    path("consent/config/<str:lang>.json", delivery.config_latest, name="consent-config"),
    path(
        "consent/config/<int:version>/<str:lang>.json",
        delivery.config_of_version,
        name="consent-config-version",
    ),
    path(
        "consent/config/shown/<str:hash_hex>.json",
        delivery.config_shown,
        name="consent-config-shown",
    ),
    path("consent/gardien.js", delivery.banner_file, {"name": "gardien.js"}, name="consent-script"),
    path(
        "consent/gardien.css", delivery.banner_file, {"name": "gardien.css"}, name="consent-style"
    ),
    *localized("consent/", views.consent_page, "consent-page"),
    *localized("privacy/cookies/", views.inventory_page, "consent-inventory"),
    path("privacy/cookies.json", views.inventory_json, name="consent-inventory-json"),
    path(".well-known/gpc.json", views.gpc_json, name="gpc-json"),
]
