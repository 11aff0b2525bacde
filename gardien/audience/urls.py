from django.urls import path

from gardien.audience import api

urlpatterns = [
    path("api/audience", api.api_audience, name="audience-api"),
]
