from django.contrib import admin
from django.urls import include, path, register_converter

from gardien.consent import views as consent_views
from gardien.lib.urls import LanguageConverter

register_converter(LanguageConverter, "lang")

urlpatterns = [
    # First: the consent API is the hot path (every page view of every site), resolve it first.
    path("api/consent", consent_views.api_consent, name="consent-api"),
    path("", include("gardien.audience.urls")),
    path("", include("gardien.policy.urls")),
    path("", include("gardien.consent.urls")),
    path("", include("gardien.antispam.urls")),
    path("", include("gardien.contact.urls")),
    path("", include("gardien.newsletter.urls")),
    path("", include("gardien.rights.urls")),
    path("", include("gardien.demo.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "gardien.policy.views.not_found"
