from django.urls import path

from gardien.antispam import views

urlpatterns = [
    path("api/challenge", views.challenge, name="antispam-challenge"),
]
