from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "gardien.policy"
    verbose_name = "Privacy policy"

    def ready(self) -> None:
        from gardien.policy import checks  # noqa: F401  (registers the manifest check)
