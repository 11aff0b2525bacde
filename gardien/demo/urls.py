from django.urls import path

from gardien.demo import views
from gardien.lib.urls import localized

urlpatterns = [
    path("", views.home, name="demo-home"),
    path("<lang:lang>/", views.home, name="demo-home-lang"),
    *localized("demo/offer/", views.offer, "demo-offer"),
    *localized("demo/contact/", views.contact, "demo-contact"),
    *localized("demo/newsletter/", views.newsletter, "demo-newsletter"),
    *localized("demo/legal/", views.legal_notice, "demo-legal"),
    path("demo/<str:name>", views.asset, name="demo-asset"),
]
