"""Gardien's settings plus a small app of registered personal-data models used by tests."""

from __future__ import annotations

import base64
import os

from gardien import settings as _base

globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

INSTALLED_APPS = [*_base.INSTALLED_APPS, "tests.testapp"]

# Tests never depend on a developer's var/secrets.json: fresh keys for every run.
GARDIEN_FIELD_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")]
GARDIEN_BLIND_INDEX_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")]
# The audit key is shared with the `gardien` commands tests run as subprocesses, which inherit
# the environment, so that what one signs the next verifies.
os.environ.setdefault(
    "GARDIEN_AUDIT_KEYS", base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
)
GARDIEN_AUDIT_KEYS = [os.environ["GARDIEN_AUDIT_KEYS"]]

# One test database per run, so that several runs (or developers' terminals) never collide.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F821
    DATABASES["default"]["TEST"] = {  # noqa: F821
        "NAME": str(_base.VAR_DIR / f"test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_gardien_{os.getpid()}"}  # noqa: F821

ROOT_URLCONF = "tests.urls"

# Someone is told of contact messages, as `make run` and a deployment configure it (without
# it, `gardien check` warns: gardien.W201).
GARDIEN_CONTACT_NOTIFY = ["equipe@coopo.example"]
