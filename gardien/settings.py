"""Gardien's settings: one file, every value from the environment through strict helpers.

See the README's "Configuration" section for each variable.
"""

from __future__ import annotations

import datetime as _datetime
import secrets as _random
import zoneinfo as _zoneinfo
from pathlib import Path

from django.utils.csp import CSP

from gardien.antispam.rates import parse_rate_limit
from gardien.lib import languages
from gardien.lib import secrets as local_secrets
from gardien.lib.env import (
    EnvError,
    envbool,
    envchoice,
    envdatabase,
    envint,
    envlist,
    envsecret,
    envstr,
    envurl,
)
from gardien.lib.languages import gettext_noop

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("GARDIEN_VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = envbool("GARDIEN_PRODUCTION", False)
DEBUG = envbool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise EnvError(
        gettext_noop(
            "DEBUG=true is refused when GARDIEN_PRODUCTION=true: it would show tracebacks."
        )
    )

# Development installs keep generated secrets in var/secrets.json (git-ignored);
# production must receive them from the environment.
_local = {} if PRODUCTION else local_secrets.read(VAR_DIR / "secrets.json")
SECRET_KEY = envsecret("SECRET_KEY", fallback=_local, required=PRODUCTION) or _random.token_urlsafe(
    50
)
GARDIEN_FIELD_KEYS = [
    key.strip()
    for key in envsecret("GARDIEN_FIELD_KEYS", fallback=_local, required=PRODUCTION).split(",")
    if key.strip()
]
# Comma-separated, newest first: rotation writes under the first and reads under all.
GARDIEN_BLIND_INDEX_KEYS = [
    key.strip()
    for key in envsecret("GARDIEN_BLIND_INDEX_KEY", fallback=_local, required=PRODUCTION).split(",")
    if key.strip()
]

# The audit log's HMAC keys, comma-separated, newest first: entries are signed under the first
# and verified under the one whose id they carry, so earlier keys stay while what they signed
# is kept (docs/audit.md). Kept apart from the database, like the field keys.
GARDIEN_AUDIT_KEYS = [
    key.strip()
    for key in envsecret("GARDIEN_AUDIT_KEYS", fallback=_local, required=PRODUCTION).split(",")
    if key.strip()
]
if PRODUCTION and any(len(key) < 32 for key in GARDIEN_AUDIT_KEYS):
    raise EnvError(
        gettext_noop(
            "GARDIEN_AUDIT_KEYS: a key is shorter than 32 characters; generate one with "
            "`gardien secrets generate`."
        )
    )

# Earlier values of SECRET_KEY, newest first (comma-separated), after a change of it: what
# was signed under them is still accepted (Django's sessions and tokens, and the consent ids
# visitors keep in their choice cookie for up to 13 months: docs/consent.md).
SECRET_KEY_FALLBACKS = [
    key.strip()
    for key in envsecret("SECRET_KEY_FALLBACKS", required=False).split(",")
    if key.strip()
]

# Uploaded personal files (identity documents), encrypted, never served directly.
GARDIEN_PRIVATE_FILES_DIR = Path(envstr("GARDIEN_PRIVATE_FILES_DIR", str(VAR_DIR / "private")))
# Erasures and purges since a backup, replayed by `gardien restore`: kept apart from the
# database and from the backups (docs/backup.md).
GARDIEN_TOMBSTONES_DIR = Path(envstr("GARDIEN_TOMBSTONES_DIR", str(VAR_DIR / "tombstones")))
GARDIEN_MANIFEST = Path(envstr("GARDIEN_MANIFEST", str(BASE_DIR / "examples/coopo/gardien.toml")))
GARDIEN_DEMO_SITE = envbool("GARDIEN_DEMO_SITE", not PRODUCTION)
GARDIEN_NOW = envstr("GARDIEN_NOW", "")
if PRODUCTION and GARDIEN_NOW:
    raise EnvError(
        gettext_noop("GARDIEN_NOW is refused when GARDIEN_PRODUCTION=true: the clock must be real.")
    )
if GARDIEN_NOW:
    try:
        _datetime.datetime.fromisoformat(GARDIEN_NOW.strip().replace("Z", "+00:00"))
    except ValueError:
        raise EnvError(
            gettext_noop(
                "GARDIEN_NOW=%(raw)r is not a date; write e.g. GARDIEN_NOW=2026-03-01 or "
                "GARDIEN_NOW=2026-03-01T14:30:00+01:00."
            ),
            raw=GARDIEN_NOW,
        ) from None

SITE_URL = envurl("SITE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvError(
        gettext_noop(
            "ALLOWED_HOSTS is not set; production needs the host names Gardien answers on."
        )
    )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gardien.backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks_db",
    "gardien.backoffice",
    "gardien.vault",
    "gardien.audit",
    "gardien.processors",
    "gardien.consent",
    "gardien.policy",
    "gardien.antispam",
    "gardien.contact",
    "gardien.newsletter",
    "gardien.retention",
    "gardien.rights",
    "gardien.audience",
    "gardien.site",
    "gardien.demo",
    "gardien.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gardien.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "gardien.urls"
WSGI_APPLICATION = "gardien.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gardien" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gardien.context.page",
            ],
        },
    },
]

DATABASES = {
    "default": envdatabase("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gardien.sqlite3'}"),
}
# Reconnecting on every request costs several times the throughput on SQLite.
DATABASES["default"]["CONN_MAX_AGE"] = envint("CONN_MAX_AGE", 600, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock up front instead of failing mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # synchronous=FULL: each commit is flushed to disk before it returns, so a proof,
        # an erasure or a page view Gardien has acknowledged survives a power cut or a
        # crash of the machine (with NORMAL, the last ones could be rolled back), as on
        # PostgreSQL. Writes that come fast are grouped into one commit (audience).
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=FULL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": envstr("GARDIEN_TEST_DATABASE", "test_gardien")}

# Background work: tasks live in the same database, so a task enqueued inside a
# transaction exists exactly when the change that caused it does (the outbox).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = languages.LANGUAGE_CODE
LANGUAGES = languages.LANGUAGES
LOCALE_PATHS = [languages.LOCALE_DIR]
USE_I18N = True
TIME_ZONE = envstr("TIME_ZONE", "Europe/Paris")
try:
    _zoneinfo.ZoneInfo(TIME_ZONE)
except (ValueError, _zoneinfo.ZoneInfoNotFoundError):
    raise EnvError(
        gettext_noop(
            'TIME_ZONE is "%(raw)s", which is not a time zone name; write a name of the '
            'time zone database such as "Europe/Paris" or "America/Montreal".'
        ),
        raw=TIME_ZONE,
    ) from None
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "gardien" / "static"]
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    # WhiteNoise serves from the finders in development; it expects the folder to exist.
    try:
        STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    except OSError as _exc:
        raise EnvError(
            gettext_noop(
                "GARDIEN_VAR_DIR is %(path)s, where Gardien cannot create its folders "
                "(%(problem)s); give a folder Gardien may write to, e.g. "
                "GARDIEN_VAR_DIR=/var/lib/gardien."
            ),
            path=str(VAR_DIR),
            problem=_exc.strerror,
        ) from None
# `gardien collectstatic` writes each file under a content-hashed name with a brotli and a
# gzip copy beside it; WhiteNoise serves those forever-cacheable (docs/consent.md, "Serving").
# Before any collectstatic, files keep their names and come from the apps' folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "gardien.consent.delivery.BannerStorage"},
}
WHITENOISE_USE_FINDERS = True


def _static_headers(headers: object, path: str, url: str) -> None:
    from gardien.consent.delivery import static_headers  # needs the apps, loaded later

    static_headers(headers, path, url)


WHITENOISE_ADD_HEADERS_FUNCTION = _static_headers

LOGIN_URL = "admin:login"

# Security baseline. Every page is served without third-party resources.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
_HTTPS = envbool("GARDIEN_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
# The preload directive only matters once the registrable domain itself is submitted to
# the browsers' list (hstspreload.org); on Gardien's host name it asks for nothing more.
SECURE_HSTS_PRELOAD = _HTTPS
# Behind a reverse proxy you run: trust its X-Forwarded-Proto, and take the client's
# address for login throttling from the last value of X-Forwarded-For (the one your
# proxy appended). Without it, REMOTE_ADDR only.
GARDIEN_BEHIND_PROXY = envbool("GARDIEN_BEHIND_PROXY", False)
if GARDIEN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Back-office login: two-factor codes; a client address is refused for the lockout after
# this many failures, an address failing on one account waits longer each time, and no
# address can lock an account's owner out (gardien/backoffice/throttle.py).
GARDIEN_LOGIN_MAX_FAILURES = envint("GARDIEN_LOGIN_MAX_FAILURES", 20, minimum=1)
GARDIEN_LOGIN_LOCKOUT_MINUTES = envint("GARDIEN_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
OTP_TOTP_ISSUER = "Gardien"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Anti-spam for the public forms (gardien/antispam): a proof-of-work challenge solved by
# the browser (about 25,000 SHA-256 on average with the default, a fraction of a second),
# valid for GARDIEN_ALTCHA_EXPIRES_SECONDS, and a limit on accepted submissions per client
# address and form, written "<submissions>/<seconds>".
GARDIEN_ALTCHA = envbool("GARDIEN_ALTCHA", True)
GARDIEN_ALTCHA_MAXNUMBER = envint("GARDIEN_ALTCHA_MAXNUMBER", 50_000, minimum=1000)
GARDIEN_ALTCHA_EXPIRES_SECONDS = envint("GARDIEN_ALTCHA_EXPIRES_SECONDS", 600, minimum=60)
GARDIEN_RATE_LIMIT = envstr("GARDIEN_RATE_LIMIT", "5/600")
parse_rate_limit(GARDIEN_RATE_LIMIT)  # a malformed value stops the start with a sentence
# The consent API's limit per client address, "<choices>/<seconds>": a bucket of that many
# choices, refilled evenly over the seconds, kept in each web process's memory under a keyed
# hash of the address (gardien/consent/throttle.py).
GARDIEN_CONSENT_RATE_LIMIT = envstr("GARDIEN_CONSENT_RATE_LIMIT", "20/60")
parse_rate_limit(GARDIEN_CONSENT_RATE_LIMIT, "GARDIEN_CONSENT_RATE_LIMIT")
# Audience measurement's limit per client address, "<page views>/<seconds>", kept like the
# consent API's (gardien/audience/api.py); a page view repeated from one address within
# GARDIEN_AUDIENCE_REPEAT_SECONDS (a reload) is counted once.
GARDIEN_AUDIENCE_RATE_LIMIT = envstr("GARDIEN_AUDIENCE_RATE_LIMIT", "120/60")
parse_rate_limit(GARDIEN_AUDIENCE_RATE_LIMIT, "GARDIEN_AUDIENCE_RATE_LIMIT")
GARDIEN_AUDIENCE_REPEAT_SECONDS = envint("GARDIEN_AUDIENCE_REPEAT_SECONDS", 5, minimum=0)

# Gardien's emails leave through one SMTP relay (a processor declared in the manifest).
# EMAIL_FILE_PATH instead writes each email to a file in that folder (the demo of `make run`).
_mail_folder = envstr("EMAIL_FILE_PATH", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": _mail_folder},
        }
        if _mail_folder
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": envstr("EMAIL_HOST", "127.0.0.1"),
                "port": envint("EMAIL_PORT", 25, minimum=1, maximum=65535),
                "username": envstr("EMAIL_HOST_USER", ""),
                "password": envsecret("EMAIL_HOST_PASSWORD", required=False),
                "use_tls": envbool("EMAIL_USE_TLS", False),
                "timeout": 30,
            },
        }
    ),
}
# Who is told by email of each contact message (comma-separated addresses). Without any,
# messages wait in the back office, and `gardien check` says so.
GARDIEN_CONTACT_NOTIFY = envlist("GARDIEN_CONTACT_NOTIFY", [])
# An acknowledgement email to whoever sent a contact message: off, because a form that mails
# any address it is given can be used to send mail to strangers.
GARDIEN_CONTACT_ACKNOWLEDGE = envbool("GARDIEN_CONTACT_ACKNOWLEDGE", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "gardien@localhost")

# Brevo, the newsletter's processor (gardien/processors/brevo.py). Without an API key Brevo is
# off: subscribers are kept and emailed by Gardien alone, and the back office's dashboard and
# `gardien newsletter audience` say so. The key and the webhook secret may come from files
# (NAME_FILE).
# The retention purge runs once a day in the worker, at this hour (TIME_ZONE), in batches
# of this many rows (each batch one short transaction).
GARDIEN_PURGE_HOUR = envint("GARDIEN_PURGE_HOUR", 3, minimum=0, maximum=23)
# Measured (bench/bench_purge.py): on SQLite a smaller batch keeps a concurrent consent
# write under a few milliseconds at the same rows per second; on PostgreSQL a larger one
# costs writers nothing and removes faster.
_PURGE_BATCH_DEFAULT = 250 if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3") else 5000
GARDIEN_PURGE_BATCH = envint("GARDIEN_PURGE_BATCH", _PURGE_BATCH_DEFAULT, minimum=1)

# Who receives the daily list of open rights requests (comma-separated); empty: the DPO's
# address from the manifest.
GARDIEN_RIGHTS_NOTIFY = envlist("GARDIEN_RIGHTS_NOTIFY", [])

GARDIEN_BREVO_API_KEY = envsecret("GARDIEN_BREVO_API_KEY", required=False)
GARDIEN_BREVO_LIST_ID = envint("GARDIEN_BREVO_LIST_ID", 0, minimum=0)
if GARDIEN_BREVO_API_KEY and not GARDIEN_BREVO_LIST_ID:
    raise EnvError(
        gettext_noop(
            "GARDIEN_BREVO_API_KEY is set but GARDIEN_BREVO_LIST_ID is not: give the id of the "
            "Brevo list that holds the newsletter's subscribers (Contacts > Lists in Brevo)."
        )
    )
GARDIEN_BREVO_BASE_URL = envurl("GARDIEN_BREVO_BASE_URL", "https://api.brevo.com/v3")
GARDIEN_BREVO_TIMEOUT = envint("GARDIEN_BREVO_TIMEOUT", 10, minimum=1)
GARDIEN_BREVO_WEBHOOK_SECRET = envsecret("GARDIEN_BREVO_WEBHOOK_SECRET", required=False)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler carries the redaction filter: no token, query string, email, password
    # or username in clear (see gardien/lib/logging.py). Gardien writes no log file: its
    # lines and gunicorn's access log (client network only) go to the standard output,
    # which the journal or the container runtime rotates and expires.
    "filters": {"redact": {"()": "gardien.lib.logging.RedactFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {
        "handlers": ["console"],
        "level": envchoice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {
        # Django's own default handlers would write before (and without) the redaction
        # filter; its records go to the filtered console handler through the root instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Request logs would carry URLs (and so tokens); Gardien logs its own events instead.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        # httpx logs each request's URL, where Brevo's API puts the contact's address.
        "httpx": {"level": "WARNING", "propagate": True},
        # WeasyPrint narrates each step of every PDF letter at INFO.
        "weasyprint": {"level": "WARNING", "propagate": True},
        "fontTools": {"level": "WARNING", "propagate": True},
    },
}
