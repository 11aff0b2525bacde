from gardien.lib.urls import localized
from gardien.policy import views

urlpatterns = [
    *localized("privacy/", views.policy_page, "policy"),
    *localized("privacy/history/", views.history, "policy-history"),
    *localized("privacy/versions/<int:number>/", views.version_page, "policy-version"),
    *localized("privacy/diff/", views.diff, "policy-diff"),
]
