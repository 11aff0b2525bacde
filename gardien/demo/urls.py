from django.urls import path

from gardien.demo import views

urlpatterns = [
    path("", views.home, name="demo-home"),
    path("demo/<str:name>", views.asset, name="demo-asset"),
]
