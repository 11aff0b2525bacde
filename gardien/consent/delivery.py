"""What a visitor downloads for the banner on a first visit, and how little: the script and
its stylesheet as content-hashed, precompressed, immutable static files behind one stable
address, and the configuration document compressed once per document.

docs/consent.md ("Loading the banner", "Serving") is the contract.
"""

from __future__ import annotations

import gzip
import posixpath
import re
import threading
from collections.abc import Callable
from typing import Any

import brotli
import rcssmin
import rjsmin
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe
from whitenoise.storage import CompressedManifestStaticFilesStorage

from gardien.consent import config, gpc
from gardien.security import origin_allowed

#: How long browsers and caches keep the configuration and the stable script address.
CONFIG_MAX_AGE = 300
#: Hashed static files never change under their name.
IMMUTABLE = "public, max-age=31536000, immutable"
# What every site's visitors download: minified when collected (comments and spaces only).
MINIFIED: dict[str, Callable[[str], str]] = {
    "consent/gardien.js": rjsmin.jsmin,
    "consent/gardien.css": rcssmin.cssmin,
    "audience/beacon.js": rjsmin.jsmin,
}
#: Loaded by other sites' pages: the banner's files and the audience beacon it inserts.
CROSS_ORIGIN = ("consent/", "audience/")

_HASH = re.compile(r"\.[0-9a-f]{12}(\.\w+)$")

# The banner script finds its stylesheet beside itself: ``new URL("gardien.css", me.src)``.
_BESIDE_SCRIPT = (
    r"""(?P<matched>new URL\("(?P<url>[\w.-]+\.css)",\s*me\.src\))""",
    """new URL("%(url)s",me.src)""",
)


class BannerStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed and compressed storage (a ``.br`` and a ``.gz`` beside each file),
    with three additions.

    - The banner's script and stylesheet are minified as they are collected (MINIFIED):
      a fifth of their compressed size, on every first visit of every site.

    - The script's stylesheet becomes the hashed stylesheet's absolute path: the script is
      loaded from a stable address that redirects to its hashed name, and
      ``document.currentScript.src`` stays the stable one, so a relative name would go
      through the redirect again. An absolute path keeps Gardien's origin on any site.
    - Before any ``collectstatic`` (development, the test suite) every file keeps its own
      name instead of failing: the files are then served from the apps' folders.
    """

    patterns = (*CompressedManifestStaticFilesStorage.patterns, ("*.js", (_BESIDE_SCRIPT,)))

    def _save(self, name: str, content: Any) -> str:
        # The copy and each hashed name (hashed from the source, so still one per release).
        unhashed = _HASH.sub(r"\1", name.replace("\\", "/"))
        minify = MINIFIED.get(unhashed)
        if minify is not None:
            source = b"".join(content.chunks()).decode("utf-8")
            content = ContentFile(minify(source).encode("utf-8"))
        return super()._save(name, content)

    def url_converter(
        self,
        name: str,
        hashed_files: dict[str, str],
        template: str | None = None,
        ignored_blocks: list[tuple[int, int]] | None = None,
    ) -> Callable[[re.Match[str]], str]:
        if template != _BESIDE_SCRIPT[1]:
            return super().url_converter(name, hashed_files, template, ignored_blocks)

        def absolute(match: re.Match[str]) -> str:
            target = posixpath.join(posixpath.dirname(name), match["url"])
            url = self._url(self._stored_name, target, force=True, hashed_files=hashed_files)
            return _BESIDE_SCRIPT[1] % {"url": url}

        return absolute

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)


def static_headers(headers: Any, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: a year for hashed files, as browsers cap it anyway;
    the banner's files (and the beacon) loadable by pages that isolate themselves (COEP),
    and without the headers a ``<script>`` or ``<link>`` tag never uses (each costs every
    first visit)."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = IMMUTABLE
    if url.startswith(tuple(settings.STATIC_URL + folder for folder in CROSS_ORIGIN)):
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        del headers["Access-Control-Allow-Origin"]


def _not_a_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No Content-Security-Policy on what is never rendered as a page: it would only add
    some 200 bytes to every first visit."""
    return csp_override({})(view)


@require_safe
@_not_a_page
def banner_file(request: HttpRequest, name: str) -> HttpResponse:
    """The stable address sites paste, redirecting to the file's current hashed address.

    Five minutes of caching: a new release reaches visitors within five minutes, and a
    returning visitor's browser goes straight to the hashed file it already holds.
    """
    response = HttpResponseRedirect(staticfiles_storage.url(f"consent/{name}"))
    response["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"
    del response["Content-Type"]  # no body
    return response


# --------------------------------------------------------------------------- configuration

# Compressed bodies by (configuration hash, encoding): a document never changes under its
# hash, so each is compressed once per process. Bounded: a few documents are live at once.
_compressed: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()
_KEPT = 64
ENCODINGS = ("br", "gzip")


def _accepted(request: HttpRequest) -> str | None:
    """The best encoding the client accepts: brotli (smaller), then gzip, else none."""
    accepted: dict[str, float] = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[coding.strip().lower()] = quality
    for encoding in ENCODINGS:
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return None


def compressed(configuration: config.Configuration, encoding: str) -> bytes:
    """The served document in ``encoding``, compressed once (the bytes never change)."""
    key = (configuration.hash, encoding)
    body = _compressed.get(key)
    if body is None:
        if encoding == "br":
            body = brotli.compress(configuration.body, mode=brotli.MODE_TEXT, quality=11)
        else:
            body = gzip.compress(configuration.body, compresslevel=9, mtime=0)
        with _lock:
            if len(_compressed) >= _KEPT:
                _compressed.clear()
            _compressed[key] = body
    return body


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return wanted.strip() == "*" or etag in (tag.strip() for tag in wanted.split(","))


def _config_response(request: HttpRequest, configuration: config.Configuration) -> HttpResponse:
    etag = f'"{configuration.hash}"'
    if _etag_matches(request, etag):
        response = HttpResponse(status=304)
    else:
        encoding = _accepted(request)
        body = compressed(configuration, encoding) if encoding else configuration.body
        response = HttpResponse(body, content_type="application/json")
        if encoding:
            response["Content-Encoding"] = encoding
    response["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"
    response["ETag"] = etag
    origin = request.headers.get("Origin", "")
    if origin and origin_allowed(origin):
        response["Access-Control-Allow-Origin"] = origin
    elif origin:
        # Not kept by the browser: once the site is allowed, its next page sees the header.
        response["Cache-Control"] = "no-store"
    if gpc.signalled(request):
        response["Gardien-GPC"] = "1"
        response["Access-Control-Expose-Headers"] = "Gardien-GPC"
    patch_vary_headers(response, ("Accept-Encoding", "Origin", "Sec-GPC"))
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _unknown_language() -> JsonResponse:
    return _error(404, "unknown_language", 'The configuration exists in "fr" and "en" only.')


@require_safe
@_not_a_page
def config_latest(request: HttpRequest, lang: str) -> HttpResponse:
    if lang not in config.LANGUAGES:
        return _unknown_language()
    configuration = config.current(lang)
    if configuration is None:
        return _error(
            503,
            "unpublished",
            "No privacy policy is published yet; run “gardien policy publish”.",
        )
    return _config_response(request, configuration)


@require_safe
@_not_a_page
def config_of_version(request: HttpRequest, version: int, lang: str) -> HttpResponse:
    if lang not in config.LANGUAGES:
        return _unknown_language()
    configuration = config.configuration(version, lang)
    if configuration is None:
        return _error(
            404,
            "unknown_version",
            f"No policy version {version} is published; see /privacy/history/ for the versions.",
        )
    return _config_response(request, configuration)


@require_safe
def config_shown(request: HttpRequest, hash_hex: str) -> HttpResponse:
    """The exact document a proof's configuration hash refers to."""
    body = config.shown(hash_hex) if re.fullmatch(r"[0-9a-f]{64}", hash_hex) else None
    if body is None:
        return _error(
            404,
            "unknown_configuration",
            "No configuration was served under this hash; copy the hash from the proof "
            "(gardien consent show CONSENT_ID).",
        )
    return HttpResponse(body, content_type="application/json; charset=utf-8")
