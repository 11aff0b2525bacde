"""Run in a subprocess by test_security_baseline.py, with production settings from the
environment: logs in to the back office and opens a failing page, prints what it saw."""

from __future__ import annotations

import json
import os
import re
import sys
from base64 import b32decode

os.environ["DJANGO_SETTINGS_MODULE"] = "gardien.settings"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django_otp.oath import totp  # noqa: E402

from gardien.backoffice.accounts import create_account  # noqa: E402
from gardien.backoffice.roles import BY_SLUG  # noqa: E402

HOST = settings.ALLOWED_HOSTS[0]


def cookie(morsel) -> dict[str, object]:
    return {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
    }


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    user, password, two_factor = create_account("probe", BY_SLUG["dpo"])
    client = Client(
        raise_request_exception=False, HTTP_HOST=HOST, headers={"Accept-Language": "en"}
    )
    seen: dict[str, object] = {"debug": settings.DEBUG, "hasher": user.password.split("$")[0]}

    plain = client.get("/admin/login/")
    seen["http"] = {"status": plain.status_code, "location": plain.get("Location", "")}

    login = client.get("/admin/login/", secure=True)
    csp = login.get("Content-Security-Policy", "")
    header_nonces = set(re.findall(r"'nonce-([^']+)'", csp))
    page_nonces = set(re.findall(r'nonce="([^"]+)"', login.text))
    seen["login"] = {
        "status": login.status_code,
        "csp": csp,
        "nonce_matches": bool(header_nonces) and page_nonces <= header_nonces and bool(page_nonces),
        "x_frame_options": login.get("X-Frame-Options"),
        "referrer_policy": login.get("Referrer-Policy"),
        "hsts": login.get("Strict-Transport-Security"),
        "csrf_cookie": cookie(login.cookies[settings.CSRF_COOKIE_NAME]),
    }

    code = f"{totp(b32decode(two_factor.secret)):06d}"
    data = {"username": "probe", "password": password, "otp_token": code}
    logged_in = client.post("/admin/login/", data, secure=True)
    seen["session"] = {
        "status": logged_in.status_code,
        "cookie": cookie(logged_in.cookies[settings.SESSION_COOKIE_NAME]),
    }

    with override_settings(ROOT_URLCONF="tests.backoffice.urls"):
        failed = client.get("/boom/", secure=True)
    seen["error"] = {"status": failed.status_code, "body": failed.text}

    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
