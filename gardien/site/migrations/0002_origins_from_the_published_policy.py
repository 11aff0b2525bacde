"""The origins of the published policy's ``[site] origins`` become the site's allowed origins,
where they now live: upgrading Gardien leaves the banner working on the same sites."""

from typing import Any

from django.db import migrations


def adopt_published_origins(apps: Any, schema_editor: Any) -> None:
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    AllowedOrigin = apps.get_model("site", "AllowedOrigin")
    latest = PolicyVersion.objects.order_by("-number").first()
    if latest is None:
        return
    origins = (latest.manifest.get("site") or {}).get("origins") or []
    for origin in origins:
        if isinstance(origin, str):
            AllowedOrigin.objects.get_or_create(
                origin=origin,
                defaults={"added_at": latest.published_at, "added_from": "manifest"},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("site", "0001_initial"),
        ("policy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(adopt_published_origins, migrations.RunPython.noop),
    ]
