"""/consent/ without JavaScript: a malformed ``eu-consent`` cookie is no choice yet, and no
cookie or form, however odd, makes the page fail (5xx) or write a proof for refused input."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gardien.consent.models import ConsentRecord
from gardien.consent.services import CHOICE_CLOCK_SKEW, CONSENT_ID
from gardien.lib import clock

FUZZ = settings(
    max_examples=200,
    deadline=None,
    # One published policy and one database for all the examples: the assertions count
    # the proofs each request adds.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
EARLIER_ID = "Earlier0choice0cookie0"
DEFAULTS = {"audience": True, "brevo_tracking": False}  # nothing saved: exempt on, consent off


def _boxes(html: str) -> dict[str, bool]:
    return {
        m[1]: bool(m[2])
        for m in re.finditer(
            r'<input type="checkbox" name="purpose" value="([^"]+)"( checked)?>', html
        )
    }


def _header(value: str) -> str:
    """The Cookie header as a WSGI server hands it over: the bytes read as ISO-8859-1."""
    return f"eu-consent={value}".encode().decode("iso-8859-1")


@pytest.fixture
def current(published: Any) -> dict[str, Any]:
    """The published configuration the page's form and a valid cookie refer to."""
    return Client().get("/consent/config/en.json").json()


def _valid_choice(current: dict[str, Any], **changes: Any) -> dict[str, Any]:
    choice = {
        "id": EARLIER_ID,
        "d": int(clock.now().timestamp()) - 86400,
        "v": current["version"],
        "h": current["purposes_hash"][:12],
        "p": {"audience": 0, "brevo_tracking": 1},
    }
    choice.update(changes)
    return {k: v for k, v in choice.items() if v is not ...}


def _send(method: str, cookie: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
    environ = {"HTTP_COOKIE": _header(cookie)}
    if method == "GET":
        return Client().get("/en/consent/", **environ, headers=headers)
    body = urlencode(data or {}, doseq=True)
    return Client().post(
        "/en/consent/",
        body,
        content_type="application/x-www-form-urlencoded",
        **environ,
        headers=headers,
    )


def _form(current: dict[str, Any], action: str = "custom") -> dict[str, Any]:
    return {
        "action": action,
        "purpose": ["audience"],
        "version": str(current["version"]),
        "config_hash": current["hash"],
        "lang": "en",
    }


# --------------------------------------------------------------------------- the crashes reported

MALFORMED = {
    # Dates that made datetime.fromtimestamp() or the age's float arithmetic raise.
    "date far ahead (ValueError)": {"d": 10**15},
    "date beyond time_t (OverflowError)": {"d": 10**20},
    "date beyond a float (OverflowError)": {"d": 10**400},
    "date before a float (OverflowError)": {"d": -(10**400)},
    # On POST, cookie_choice["id"] raised KeyError.
    "no id (KeyError)": {"id": ...},
    # Other ways of not being the contract's cookie.
    "date ahead of the clock": {"d": int(clock.now().timestamp()) + 2 * CHOICE_CLOCK_SKEW},
    "date before 1970": {"d": -1},
    "date as a float": {"d": 1.5e9},
    "date as text": {"d": "1795687200"},
    "date as a boolean": {"d": True},
    "no date": {"d": ...},
    "no version": {"v": ...},
    "version as text": {"v": "1"},
    "no purposes hash": {"h": ...},
    "purposes as a list": {"p": ["audience"]},
    "purposes as text": {"p": "audience"},
    "decision as true": {"p": {"audience": True, "brevo_tracking": True}},
    "decision as 2": {"p": {"audience": 2}},
    "decision as text": {"p": {"audience": "1"}},
    "id of the wrong shape": {"id": "not-an-id"},
}


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_cookie_shows_no_choice(current, changes):
    cookie = quote(json.dumps(_valid_choice(current, **changes)))
    response = _send("GET", cookie)
    assert response.status_code == 200
    assert _boxes(response.text) == DEFAULTS
    assert EARLIER_ID not in response.text
    assert "Your current choice was made" not in response.text


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_choice_saved_over_a_malformed_cookie_starts_a_new_consent_id(current, changes):
    cookie = quote(json.dumps(_valid_choice(current, **changes)))
    response = _send("POST", cookie, _form(current, "refuse_all"))
    assert response.status_code == 200
    proof = ConsentRecord.objects.get()
    assert proof.consent_id != EARLIER_ID
    # "Refuse all" is a plain refusal: nothing granted before counts from a malformed cookie.
    assert proof.action == "refuse_all"
    assert proof.consent_id in response.cookies["eu-consent"].value


@pytest.mark.parametrize(
    "cookie",
    ["[" * 4000, "%7B" * 1000, "{" + '"a":{' * 800, "x" * 5000, "%", "%FF%FE", '"\\"'],
    ids=[
        "deep array",
        "deep object (quoted)",
        "deep object",
        "too long",
        "bad escape",
        "not UTF-8",
        "quotes",
    ],
)
def test_cookie_text_that_is_not_a_choice_is_no_choice(current, cookie):
    assert _boxes(_send("GET", cookie).text) == DEFAULTS
    assert _send("POST", cookie, _form(current)).status_code == 200
    assert ConsentRecord.objects.get().consent_id != EARLIER_ID


def test_the_well_formed_cookie_is_still_the_current_choice(current):
    """The contract's cookie, one dated a little ahead by a fast clock, and one the banner
    wrote before the server answered (id null) are still read."""
    for changes in ({}, {"d": int(clock.now().timestamp()) + CHOICE_CLOCK_SKEW // 2}, {"id": None}):
        response = _send("GET", quote(json.dumps(_valid_choice(current, **changes))))
        assert _boxes(response.text) == {"audience": False, "brevo_tracking": True}
        assert "Your current choice was made" in response.text
    # EARLIER_ID has the shape of the unsigned ids issued before: continued when in the ledger.
    ConsentRecord.objects.create(
        consent_id=EARLIER_ID,
        recorded_at=clock.now(),
        action="custom",
        decisions={"audience": False, "brevo_tracking": True},
        policy_version=current["version"],
        config_hash=current["hash"],
        lang="en",
    )
    _send("POST", quote(json.dumps(_valid_choice(current))), _form(current, "refuse_all"))
    proof = ConsentRecord.objects.latest("pk")
    # Continued under the cookie's id, and a withdrawal of the consent the cookie shows.
    assert (proof.consent_id, proof.action) == (EARLIER_ID, "withdraw")


# --------------------------------------------------------------------------- fuzz

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±Infinity too: Python's json writes and reads them
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
HUGE = st.sampled_from([10**15, 10**20, 2**63, -(2**63), 10**400, -(10**400), 10**4000])
DATES = st.integers(min_value=-(10**12), max_value=10**12) | JSON_VALUES
PURPOSES = st.one_of(
    st.dictionaries(
        st.sampled_from(["audience", "brevo_tracking", "necessary"]) | st.text(max_size=12),
        st.sampled_from([0, 1]) | JSON_VALUES,
        max_size=4,
    ),
    JSON_VALUES,
)
MISSING = st.just(...)


def _spoil(draw: st.DrawFn, valid: dict[str, Any], bad: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with one field (most often), none or any of them replaced by a ``bad`` value
    or left out: whole valid inputs and single mistakes, which reach furthest, come often."""
    how = draw(st.sampled_from(["none", "one", "one", "one", "any"]))
    if how == "one":
        spoiled = {draw(st.sampled_from(sorted(valid)))}
    else:
        spoiled = draw(st.sets(st.sampled_from(sorted(valid)))) if how == "any" else set()
    fields = {k: draw(bad[k] | MISSING) if k in spoiled else v for k, v in valid.items()}
    return {k: v for k, v in fields.items() if v is not ...}


@st.composite
def cookies(draw: st.DrawFn, current: dict[str, Any]) -> str:
    kind = draw(st.sampled_from(["choice", "choice", "choice", "choice", "other"]))
    if kind == "other":
        return draw(
            st.text(max_size=200)
            # No lone surrogate: a header arrives as bytes, which cannot hold one.
            | st.builds(
                lambda c, n: c * n,
                st.characters(exclude_categories=("Cs",)),
                st.integers(4000, 9000),
            )
            | st.builds(lambda c, n: c * n, st.sampled_from("[{%"), st.integers(1, 4096))
        )
    now = int(clock.now().timestamp())
    valid = {
        "id": draw(st.sampled_from([EARLIER_ID, None])),
        "d": now - draw(st.integers(min_value=0, max_value=400 * 86400)),  # some too old
        "v": current["version"],
        "h": current["purposes_hash"][:12],
        "p": draw(st.fixed_dictionaries({"audience": st.sampled_from([0, 1])})),
    }
    bad = {
        "id": st.text(max_size=30) | JSON_VALUES,
        "d": HUGE | DATES,
        "v": JSON_VALUES,
        "h": JSON_VALUES,
        "p": PURPOSES,
    }
    choice: Any = _spoil(draw, valid, bad)
    encoding = draw(st.sampled_from(["quoted", "quoted", "raw", "other"]))
    if encoding == "other":  # more keys, another shape, cut short
        choice.update(draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=2)))
        choice = draw(st.sampled_from([choice, [choice], choice.get("p"), choice.get("d")]))
    text = json.dumps(choice, ensure_ascii=draw(st.booleans()))
    if encoding == "raw":
        return text
    quoted = quote(text, safe="-_.!~*'()")
    return quoted[: draw(st.integers(0, len(quoted)))] if encoding == "other" else quoted


@st.composite
def forms(draw: st.DrawFn, current: dict[str, Any]) -> dict[str, Any]:
    text = st.text(max_size=40)
    valid = {
        "action": draw(
            st.sampled_from(["accept_all", "refuse_all", "custom", "withdraw", "gpc", "close"])
        ),
        "purpose": draw(st.lists(st.sampled_from(["audience", "brevo_tracking"]), unique=True)),
        "version": str(current["version"]),
        "config_hash": current["hash"],
        "lang": "en",
    }
    bad = {
        "action": text,
        "purpose": st.lists(st.sampled_from(["necessary", "audience"]) | text, max_size=4),
        "version": st.sampled_from(["0", "-1", "2", "1" * 5000]) | st.integers().map(str) | text,
        # A hash of zeros, or the English hash with "fr", is a stale form (409).
        "config_hash": st.sampled_from(["0" * 64, current["hash"].upper()]) | text,
        "lang": st.sampled_from(["fr", "de"]) | text,
    }
    form = _spoil(draw, valid, bad)
    form.update(draw(st.dictionaries(text, text | st.lists(text, max_size=3), max_size=3)))
    return form


GPC = st.sampled_from([{}, {"Sec-GPC": "1"}, {"Sec-GPC": "0"}])


@FUZZ
@given(data=st.data())
def test_fuzz_get_never_fails_nor_writes(current, data):
    cookie = data.draw(cookies(current), label="cookie")
    response = _send("GET", cookie, **data.draw(GPC, label="headers"))
    assert response.status_code == 200
    event("a choice shown" if "Your current choice was made" in response.text else "no choice")
    assert "eu-consent" not in response.cookies
    assert not ConsentRecord.objects.exists()


@FUZZ
@given(data=st.data())
def test_fuzz_post_never_fails_and_writes_only_what_it_accepts(current, data):
    cookie = data.draw(cookies(current), label="cookie")
    form = data.draw(forms(current), label="form")
    before = ConsentRecord.objects.count()
    response = _send("POST", cookie, form, **data.draw(GPC, label="headers"))
    assert response.status_code < 500
    event(f"status {response.status_code}")
    written = ConsentRecord.objects.order_by("-pk")[: ConsentRecord.objects.count() - before]
    if response.status_code != 200:
        assert response.status_code in (400, 409), response.status_code
        assert not written, "a refused choice wrote a proof"
        assert "eu-consent" not in response.cookies
        return
    (proof,) = written
    assert CONSENT_ID.fullmatch(proof.consent_id)
    assert proof.consent_id in response.text
    assert json.loads(unquote(response.cookies["eu-consent"].value))["id"] == proof.consent_id
