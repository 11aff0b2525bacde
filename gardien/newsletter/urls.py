from django.urls import path

from gardien.lib.urls import localized
from gardien.newsletter import views, webhooks

urlpatterns = [
    path("api/newsletter/subscribe", views.api_subscribe, name="newsletter-api"),
    path("hooks/brevo", webhooks.brevo, name="newsletter-brevo-webhook"),
    *localized("newsletter/", views.newsletter_page, "newsletter"),
    *localized("newsletter/confirm/<str:token>", views.confirm_page, "newsletter-confirm"),
    *localized(
        "newsletter/unsubscribe/<str:token>", views.unsubscribe_page, "newsletter-unsubscribe"
    ),
]
