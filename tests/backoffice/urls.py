"""Gardien's URLs plus a page that fails, to see the error page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from gardien.urls import handler404  # noqa: F401
from gardien.urls import urlpatterns as gardien_urlpatterns

SECRET_IN_ERROR = "Probe-Secret-Value-1"
TOKEN_IN_ERROR = "8f3kQ2mZ9xTq1LpA7vB0cD4eF6gH"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"boom: token={SECRET_IN_ERROR} while reading /confirm/{TOKEN_IN_ERROR}")


urlpatterns = [path("boom/", boom), *gardien_urlpatterns]
