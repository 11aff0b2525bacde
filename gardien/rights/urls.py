from gardien.lib.urls import localized
from gardien.rights import identity_views, views

urlpatterns = [
    *localized("rights/", views.rights_page, "rights"),
    *localized("rights/verify/<str:token>", views.verify_page, "rights-verify"),
    *localized("rights/download/<str:token>", views.download_page, "rights-download"),
    *localized("rights/identity/<str:token>", identity_views.upload_page, "rights-identity"),
]
