from django.urls import path

from gardien.contact import views
from gardien.lib.urls import localized

urlpatterns = [
    path("api/contact", views.api_contact, name="contact-api"),
    *localized("contact/", views.contact_page, "contact"),
]
