"""`gardien check` (and Django's check framework) validates the manifest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from gardien.manifest import ManifestError, load_path


@register("gardien")
def check_manifest(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        load_path(settings.GARDIEN_MANIFEST)
    except ManifestError as exc:
        return [
            Error(line, hint="Fix the manifest, then run `gardien check` again.", id="gardien.E001")
            for line in exc.lines()
        ]
    return []
