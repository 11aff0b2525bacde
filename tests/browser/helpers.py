"""What the browser tests share: the configuration document, recording a choice, the ledger.

Written against docs/consent.md (the contract between the banner and the server) and the
demo site (gardien/demo). Nothing here imports Playwright at import time,
so that a machine without it still gets the one skip line of conftest.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

COOPO = Path(__file__).resolve().parents[2] / "examples" / "coopo" / "gardien.toml"
API = "/api/consent"
CHOICE_COOKIE = "eu-consent"
TRACKER_COOKIES = {"sib_cuid", "uuid"}  # set by /demo/tracker.js (brevo_tracking)
AUDIENCE_KEY = "gardien_vid"  # set in localStorage by Gardien's audience beacon (audience)
AUDIENCE_API = "/api/audience"
BEACON = "/audience/beacon"  # in the beacon's address, hashed or not

# What the demo page shows of its optional content.
STATE_JS = """() => {
  const frame = document.querySelector('iframe[data-gardien-purpose="brevo_tracking"]');
  return {
    tracker: window.demoTrackerLoaded === true,
    audience: [...document.scripts].some((s) => s.src.includes('/audience/beacon')),
    iframe: frame.getAttribute('src'),
    audience_key: localStorage.getItem('gardien_vid') !== null,
  };
}"""


def expect(*args: Any, **kwargs: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


# --- the configuration document --------------------------------------------------------


def canonical_hash(document: dict[str, Any]) -> str:
    """The contract's hash: sha256 of the canonical JSON of the document without "hash"."""
    rest = {k: v for k, v in document.items() if k != "hash"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def config(page: Any, site: str, lang: str = "fr") -> dict[str, Any]:
    """The configuration document the banner loads, fetched fresh (not from the cache)."""
    response = page.request.get(
        f"{site}/consent/config/{lang}.json", headers={"Cache-Control": "no-cache"}
    )
    assert response.status == 200, f"config/{lang}.json answered {response.status}"
    document = response.json()
    assert document["hash"] == canonical_hash(document), "the config hash is not its sha256"
    return document


def switched(cfg: dict[str, Any]) -> list[str]:
    """Purposes with a switch, in the document's order: what `decisions` names."""
    return [p["id"] for p in cfg["purposes"] if p["consent"] != "not_needed"]


def purpose(cfg: dict[str, Any], purpose_id: str) -> dict[str, Any]:
    return next(p for p in cfg["purposes"] if p["id"] == purpose_id)


# --- the page ---------------------------------------------------------------------------


def visit(page: Any, site: str, path: str = "/") -> None:
    """Open a page and wait until the banner has started (its dialog is in the DOM)."""
    page.goto(site + path)
    page.wait_for_selector("[role=dialog]", state="attached")


def settle(page: Any) -> None:
    """Wait until nothing more is loading: for assertions that something did NOT happen."""
    page.wait_for_load_state("networkidle")


def state(page: Any) -> dict[str, Any]:
    return page.evaluate(STATE_JS)


def cookie_names(page: Any) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def choice_cookie(page: Any) -> dict[str, Any] | None:
    for cookie in page.context.cookies():
        if cookie["name"] == CHOICE_COOKIE:
            return json.loads(urllib.parse.unquote(cookie["value"]))
    return None


def choice_value(choice: dict[str, Any]) -> str:
    """The cookie value the banner writes: encodeURIComponent(JSON.stringify(choice))."""
    return urllib.parse.quote(json.dumps(choice, separators=(",", ":")), safe="-_.!~*'()")


def dialog(page: Any) -> Any:
    return page.get_by_role("dialog")


def button(page: Any, cfg: dict[str, Any], key: str) -> Any:
    return dialog(page).get_by_role("button", name=cfg["text"][key], exact=True)


def switch(page: Any, cfg: dict[str, Any], purpose_id: str) -> Any:
    return dialog(page).get_by_role("switch", name=purpose(cfg, purpose_id)["name"], exact=True)


def open_settings(page: Any) -> None:
    """Reopen the panel with the page's own footer link (one click)."""
    page.locator("footer [data-gardien-open-settings]").click()
    expect(dialog(page)).to_be_visible()


def wait_until(page: Any, script: str, arg: Any = None, timeout: float = 8.0) -> Any:
    """Poll `script` (a JS function) until it returns something truthy.

    Not page.wait_for_function: Gardien's pages have a strict CSP (no 'unsafe-eval') and
    Playwright's polling evaluates the predicate as a string, which the CSP refuses. Plain
    evaluate calls go through the DevTools protocol and keep the page's CSP intact.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {script}")
        page.wait_for_timeout(50)


def wait_tracker(page: Any) -> None:
    wait_until(page, "() => window.demoTrackerLoaded === true")
    wait_until(
        page,
        "names => names.every(n => document.cookie.split('; ').some(c => c.startsWith(n + '=')))",
        sorted(TRACKER_COOKIES),
    )


# --- recording a choice -------------------------------------------------------------------


def is_consent_post(response: Any) -> bool:
    return API in response.url and response.request.method == "POST"


def choose(page: Any, act: Callable[[], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Do `act` (a click, a key), wait for POST /api/consent; its body and its 201 answer."""
    with page.expect_response(is_consent_post) as info:
        act()
    return answered(page, info.value)


def answered(page: Any, response: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    sent = response.request.post_data_json
    assert response.status == 201, f"POST /api/consent {sent} answered {response.status}: " + (
        response.text()
    )
    answer = response.json()
    # The banner keeps the consent id the server gave in its cookie.
    wait_until(
        page,
        "([name, id]) => document.cookie.split('; ').some("
        "c => c.startsWith(name + '=') && decodeURIComponent(c).includes(id))",
        [CHOICE_COOKIE, answer["consent_id"]],
    )
    return sent, answer


def recorded(
    answer: dict[str, Any],
    cfg: dict[str, Any],
    action: str | set[str],
    decisions: dict[str, bool],
    gpc: bool = False,
) -> Any:
    """The ledger row of this answer, checked against the configuration shown."""
    from gardien.consent.models import ConsentRecord

    row = ConsentRecord.objects.filter(consent_id=answer["consent_id"]).order_by("-pk").first()
    assert row is not None, f"no ConsentRecord for {answer}"
    actions = {action} if isinstance(action, str) else action
    assert row.action in actions, f"recorded action {row.action!r}, expected {actions}"
    assert row.decisions == decisions
    assert row.policy_version == cfg["version"] == answer["version"]
    assert row.config_hash == cfg["hash"]
    assert row.lang == cfg["lang"]
    assert row.gpc is gpc
    return row


def ledger(consent_id: str) -> list[tuple[str, dict[str, bool]]]:
    from gardien.consent.models import ConsentRecord

    rows = ConsentRecord.objects.filter(consent_id=consent_id).order_by("pk")
    return [(r.action, r.decisions) for r in rows]


def check_cookie(page: Any, cfg: dict[str, Any], answer: dict[str, Any], p: dict[str, int]) -> None:
    """The choice cookie holds the contract's fields for this choice."""
    choice = choice_cookie(page)
    assert choice is not None, "no eu-consent cookie after a choice"
    cookie = next(c for c in page.context.cookies() if c["name"] == CHOICE_COOKIE)
    assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/", "Lax", False)
    assert choice["id"] == answer["consent_id"]
    assert choice["v"] == cfg["version"]
    assert choice["h"] == cfg["purposes_hash"][:12]
    assert choice["p"] == p
    now = dt.datetime.now(dt.UTC).timestamp()
    assert now - 120 < choice["d"] <= now + 5


# --- manifest copies ----------------------------------------------------------------------


def publish_copy(tmp_path: Path, *edits: tuple[str, str], note: str = "test") -> Any:
    """Publish a copy of the Coopo manifest with (anchor, replacement) edits applied."""
    from gardien.policy.services import publish

    text = COOPO.read_text(encoding="utf-8")
    for anchor, replacement in edits:
        assert text.count(anchor) == 1, f"anchor not found once in the manifest: {anchor!r}"
        text = text.replace(anchor, replacement)
    path = tmp_path / "gardien.toml"
    path.write_text(text, encoding="utf-8")
    version = publish(path, note=note)
    assert version is not None, "the edited manifest published nothing new"
    return version


# The end of the Coopo manifest: edits append purposes and services after it.
MANIFEST_END = """    { name = "uuid", lifetime = "13 months", description = { fr = "Identifiant de session de suivi Brevo.", en = "Brevo tracking session identifier." } },
  ]
"""

NEW_PURPOSE = (
    MANIFEST_END,
    MANIFEST_END
    + """
  [[cookies.purposes]]
  id = "video"
  name = { fr = "Vidéos intégrées", en = "Embedded videos" }
  description = { fr = "Lecture des vidéos intégrées aux pages.", en = "Playing the videos embedded in pages." }
  consent = "required"

  [[cookies.services]]
  id = "video-player"
  name = "Lecteur vidéo"
  purpose = "video"
  party = "first"
  description = { fr = "Lecteur des vidéos du site.", en = "The site's video player." }
  cookies = [
    { name = "player_prefs", lifetime = "6 months", description = { fr = "Préférences du lecteur.", en = "Player preferences." } },
  ]
""",
)

# A Google tag: brevo_tracking drives the ad_* signals, a new "statistics" purpose drives
# analytics_storage.
GOOGLE_TAG = (
    (
        'consent = "required"\n  activity = "brevo_tracking"\n',
        'consent = "required"\n  activity = "brevo_tracking"\n  consent_mode = "advertising"\n',
    ),
    (
        MANIFEST_END,
        MANIFEST_END
        + """
  [[cookies.purposes]]
  id = "statistics"
  name = { fr = "Statistiques Google", en = "Google statistics" }
  description = { fr = "Mesure détaillée de la fréquentation avec Google Analytics.", en = "Detailed traffic measurement with Google Analytics." }
  consent = "required"
  consent_mode = "analytics"

  [[cookies.services]]
  id = "google-tag"
  name = "Google tag"
  purpose = "statistics"
  party = "third"
  provider = "google"
  google_tag = true
  description = { fr = "La balise Google.", en = "The Google tag." }
  cookies = [
    { name = "_ga", lifetime = "13 months", description = { fr = "Identifiant Google Analytics.", en = "Google Analytics identifier." } },
  ]
""",
    ),
)

# A change of the policy's wording only: the purposes and services stay the same.
WORDING_ONLY = (
    'no_sale = { fr = "Nous ne vendons ni ne louons jamais',
    'no_sale = { fr = "Nous ne vendons, ne louons ni ne cédons jamais',
)


# --- accessibility --------------------------------------------------------------------------

# axe-core 4.14.1 as published on npm (`npm pack axe-core@4.14.1`, package/axe.min.js), kept
# here so that the browser tests need no network. MPL-2.0, Deque Systems: its licence header
# stays at the top of the file. To update, replace the file and the version in this comment.
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

AXE_RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def accessibility_violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it is now, with its default rules (WCAG 2 A and
    AA, and best practices). Injected through DevTools, so the page's CSP stays on."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return violations


# --- another origin -------------------------------------------------------------------------


class OtherSite:
    """A page served from an origin other than Gardien's, as the organisation's own site
    is (its Framer or WordPress pages): a second HTTP server on 127.0.0.1. Set ``page`` to
    the HTML that ``/`` answers; ``origin`` is what the browser sends in ``Origin``."""

    def __init__(self) -> None:
        import http.server
        import threading

        site = self
        self.page = "<!doctype html><title>empty</title>"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path == "/"
                body = site.page.encode("utf-8") if found else b""
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # pytest shows what failed; no line per request

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
