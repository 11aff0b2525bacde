"""Banner transfer: the bytes Chromium downloads for the cookie banner on a first visit,
Gardien against its peers, measured the same way.

Gardien runs as deployed: `gardien collectstatic`, then gunicorn with
gardien/gunicorn.conf.py, on a fresh SQLite database with the Coopo policy published. A
fresh Chromium context (empty cache) opens the demo site's home page, whose banner tag is
the one docs/consent.md gives the sites; the banner's requests are counted: the stable
/consent/gardien.js (a redirect), the hashed script, the hashed stylesheet and the
configuration /consent/config/<lang>.json. The page itself and the site's own files are not.

Each figure is Chromium's own count (CDP ``Network.loadingFinished`` ``encodedDataLength``,
and a redirect's ``encodedDataLength``): the bytes on the wire, status line and headers
included. Headers are the raw header text Chromium received (``responseReceivedExtraInfo``);
the body is the rest. A second visit in the same context shows what a returning visitor
downloads.

The peers (bench/bench_banner_weight.py: their files, one language) are served by the same
kind of server (gunicorn, WhiteNoise with a gzip and a brotli copy of each file) on another
port, each file by a tag in a bare page, and counted the same way.

Chromium is Debian's /usr/bin/chromium (GARDIEN_CHROMIUM), driven by Playwright; on
plain http Chromium asks for gzip only (brotli is offered over HTTPS), so the figures here
are gzip; the brotli bodies are given beside them, measured from the same files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    ROOT,
    Database,
    Processes,
    Skip,
    free_port,
    gardien_command,
    gardien_env,
    gunicorn,
    prepare_gardien,
    terminate_as_exit,
    wait_ready,
)

CHROMIUM = os.environ.get("GARDIEN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BUDGET = 7000
MODULES = ROOT / "bench" / "peers" / "node_modules"
WORK = Path(tempfile.gettempdir()) / "gardien-bench-banner-transfer"

PEER_APP = """
from whitenoise import WhiteNoise

def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]

application = WhiteNoise(not_found, root="files", prefix="/", index_file=True)
"""


def log(message: str) -> None:
    print(f"  {message}", flush=True)


def _peer_files() -> dict[str, list[str]]:
    from bench_banner_weight import PEER_FILES, peers_installed

    return PEER_FILES if peers_installed() else {}


class Visit:
    """What Chromium downloads while a page loads, from the DevTools protocol's events."""

    def __init__(self, page: Any, counted: Any) -> None:
        self.counted = counted  # path -> bool: is this request part of the banner?
        self.responses: list[dict[str, Any]] = []
        self.headers: dict[str, list[int]] = {}  # raw header sizes, per request, in order
        self.final: dict[str, dict[str, Any]] = {}
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceivedExtraInfo", self._extra)
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        redirect = event.get("redirectResponse")
        if redirect is not None:
            self._add(event["requestId"], redirect, redirect["encodedDataLength"])

    def _extra(self, event: dict[str, Any]) -> None:
        size = len(event.get("headersText", "").encode("latin-1", "replace"))
        self.headers.setdefault(event["requestId"], []).append(size)

    def _received(self, event: dict[str, Any]) -> None:
        self.final[event["requestId"]] = event["response"]

    def _finished(self, event: dict[str, Any]) -> None:
        response = self.final.get(event["requestId"])
        if response is not None:
            self._add(event["requestId"], response, event["encodedDataLength"])

    def _add(self, request_id: str, response: dict[str, Any], size: float) -> None:
        path = urllib.parse.urlsplit(response["url"]).path
        if not self.counted(path):
            return
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.responses.append(
            {
                "request_id": request_id,
                "path": path,
                "status": response["status"],
                "encoding": headers.get("content-encoding", ""),
                "cache": headers.get("cache-control", ""),
                "bytes": int(size),
            }
        )

    def totals(self) -> dict[str, Any]:
        """Each response with its header and body bytes, and the sums."""
        seen: dict[str, int] = {}
        for response in self.responses:
            index = seen.get(response["request_id"], 0)
            seen[response["request_id"]] = index + 1
            sizes = self.headers.get(response["request_id"], [])
            header = sizes[index] if index < len(sizes) else 0
            response["headers"] = min(header, response["bytes"])
            response["body"] = response["bytes"] - response["headers"]
        return {
            "bytes": sum(r["bytes"] for r in self.responses),
            "headers": sum(r["headers"] for r in self.responses),
            "body": sum(r["body"] for r in self.responses),
            "responses": [
                {k: v for k, v in r.items() if k != "request_id"} for r in self.responses
            ],
        }


def visit(context: Any, url: str, counted: Any, wait_for: str | None) -> dict[str, Any]:
    page = context.new_page()
    watch = Visit(page, counted)
    page.goto(url, wait_until="load")
    if wait_for:
        page.wait_for_selector(wait_for, state="attached", timeout=15000)
    page.wait_for_load_state("networkidle")
    found = watch.totals()
    page.close()
    return found


def first_and_second(browser: Any, url: str, counted: Any, wait_for: str | None) -> Any:
    context = browser.new_context(locale="fr-FR")
    try:
        first = visit(context, url, counted, wait_for)
        second = visit(context, url, counted, None)
    finally:
        context.close()
    return first, second


def brotli_bodies(static_root: Path, names: list[str]) -> int:
    return sum((static_root / f"{name}.br").stat().st_size for name in names)


def serve_gardien(procs: Processes) -> tuple[str, Path]:
    db = Database("sqlite", WORK, table="consent_consentrecord", pg_db="unused")
    db.prepare()
    port = free_port()
    env = gardien_env(db, port)
    prepare_gardien(db, env, "gardien", log)
    log("gardien: `gardien collectstatic` …")
    gardien_command(env, "collectstatic", "--noinput", "--verbosity", "0")
    base = f"http://127.0.0.1:{port}"
    args = gunicorn("gardien.wsgi", port, ["-c", "gardien/gunicorn.conf.py"])
    log(f"gardien: gunicorn on {base}")
    proc = procs.start(args, env, db.var_dir / "gunicorn.log")
    wait_ready(f"{base}/consent/config/fr.json", proc, db.var_dir / "gunicorn.log")
    return base, db.var_dir / "static"


def serve_peers(procs: Processes, peers: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """The peers' files under /<package>/…, compressed like Gardien's, and a page for each."""
    from whitenoise.compress import Compressor

    root = WORK / "peers"
    files = root / "files"
    shutil.rmtree(root, ignore_errors=True)
    files.mkdir(parents=True)
    versions = {}
    for package, paths in peers.items():
        folder = MODULES / package
        versions[package] = json.loads((folder / "package.json").read_text())["version"]
        tags = []
        for path in paths:
            target = files / package / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / path, target)
            if path.endswith(".css"):
                tags.append(f'<link rel="stylesheet" href="/{package}/{path}">')
            else:
                tags.append(f'<script src="/{package}/{path}" defer></script>')
        (files / f"{package}.html").write_text(
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>'
            f"{package}</title>{''.join(tags)}</head><body><p>{package}</p></body></html>"
        )
    compressor = Compressor(quiet=True)
    for path in files.rglob("*"):
        if path.is_file() and compressor.should_compress(path.name):
            list(compressor.compress(str(path)))
    (root / "peer_app.py").write_text(PEER_APP)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = gunicorn("peer_app:application", port, ["--chdir", str(root)])
    proc = procs.start(args, {"PATH": os.environ.get("PATH", "")}, root / "gunicorn.log")
    first = next(iter(peers))
    wait_ready(f"{base}/{first}.html", proc, root / "gunicorn.log")
    return base, versions


def _rows(browser: Any, procs: Processes) -> list[dict[str, Any]]:
    base, static_root = serve_gardien(procs)
    banner = ("/consent/", "/static/consent/")
    first, second = first_and_second(
        browser, f"{base}/", lambda p: p.startswith(banner), "[role=dialog]"
    )
    for response in first["responses"]:
        log(
            f"gardien: {response['status']} {response['path']}: {response['bytes']} B "
            f"({response['headers']} headers + {response['body']} body"
            f"{', ' + response['encoding'] if response['encoding'] else ''})"
        )
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = [manifest["consent/gardien.js"], manifest["consent/gardien.css"]]
    brotli = brotli_bodies(static_root, hashed)
    verdict = "within" if first["bytes"] <= BUDGET else "OVER"
    log(
        f"gardien: first visit {first['bytes']} B transferred ({first['headers']} B headers, "
        f"{first['body']} B bodies), {verdict} the {BUDGET} B budget; second visit "
        f"{second['bytes']} B; brotli bodies of the script and stylesheet: {brotli} B"
    )
    rows: list[dict[str, Any]] = [
        {
            "name": "gardien banner, first visit, transferred (Chromium)",
            "value": first["bytes"],
            "unit": "B",
            "headers": first["headers"],
            "body": first["body"],
            "responses": first["responses"],
        },
        {"name": "gardien banner, first visit, headers", "value": first["headers"], "unit": "B"},
        {"name": "gardien banner, first visit, bodies", "value": first["body"], "unit": "B"},
        {
            "name": "gardien banner, second visit, transferred (Chromium)",
            "value": second["bytes"],
            "unit": "B",
            "responses": second["responses"],
        },
    ]
    peers = _peer_files()
    if not peers:
        return rows
    peer_base, versions = serve_peers(procs, peers)
    for package in peers:
        found, _second = first_and_second(
            browser,
            f"{peer_base}/{package}.html",
            lambda p, pk=package: p.startswith(f"/{pk}/"),
            None,
        )
        log(
            f"{package} {versions[package]}: first visit {found['bytes']} B transferred "
            f"({found['headers']} B headers, {found['body']} B bodies)"
        )
        rows.append(
            {
                "name": f"{package} {versions[package]}, first visit, transferred (Chromium)",
                "value": found["bytes"],
                "unit": "B",
                "headers": found["headers"],
                "body": found["body"],
                "responses": found["responses"],
            }
        )
    # Orejime, the lightest peer, is the baseline (as in bench_banner_weight.py).
    orejime = next((r for r in rows if r["name"].startswith("orejime ")), None)
    if orejime is not None:
        rows[0]["baseline"] = orejime["value"]
    return rows


def run() -> list[dict[str, Any]]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        log(f"no Chromium at {CHROMIUM}: skipped (apt-get install chromium)")
        return []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log("the playwright package is not installed: skipped (make install)")
        return []
    procs = Processes()
    with terminate_as_exit(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return _rows(browser, procs)
        except Skip as exc:
            log(f"SKIPPED: {exc}")
            return []
        finally:
            browser.close()
            procs.stop_all()


if __name__ == "__main__":
    for row in run():
        print(json.dumps({k: v for k, v in row.items() if k != "responses"}))
