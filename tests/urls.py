from django.http import HttpRequest, JsonResponse
from django.urls import path

from gardien.security import state_changing
from gardien.urls import handler404  # noqa: F401
from gardien.urls import urlpatterns as gardien_urlpatterns


@state_changing
def echo(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("test/echo/", echo), *gardien_urlpatterns]
