from django.contrib import admin
from django.urls import include, path, register_converter

from gardien.lib.urls import LanguageConverter

register_converter(LanguageConverter, "lang")

urlpatterns = [
    path("", include("gardien.policy.urls")),
    path("", include("gardien.consent.urls")),
    path("", include("gardien.demo.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "gardien.policy.views.not_found"
