"""POST /api/audience under hostile input: no body or header, however odd, makes it fail
(5xx), and nothing outside the contract is stored."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gardien.audience import api
from gardien.audience.models import PATH_LENGTH, PageView
from tests.audience.conftest import ORIGIN, view_body

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Header values as a WSGI server hands them over: bytes read as ISO-8859-1.
HEADER = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
URLS = st.one_of(
    st.text(max_size=300),
    st.builds(lambda tail: f"{ORIGIN}/{tail}", st.text(st.characters(codec="ascii"), max_size=80)),
    st.builds(lambda tail: f"{ORIGIN}{tail}", st.text(max_size=300)),
    st.builds(lambda tail: f"{ORIGIN}/?{tail}", st.text(max_size=300)),
)
BODIES = st.one_of(
    st.binary(max_size=1200),
    st.builds(lambda v: json.dumps(v).encode(), JSON_VALUE),
    st.builds(
        lambda url, ref, screen, lang, visitor: json.dumps(
            view_body(url=url, referrer=ref, screen=screen, lang=lang, visitor=visitor)
        ).encode(),
        URLS,
        st.one_of(st.text(max_size=200), st.just(""), JSON_VALUE),
        st.one_of(st.sampled_from(["mobile", "tablet", "desktop"]), JSON_VALUE),
        st.one_of(st.sampled_from(["fr", "en", ""]), st.text(max_size=4)),
        st.one_of(st.none(), st.text(alphabet="abcXYZ09_-", min_size=20, max_size=24)),
    ),
)


@FUZZ
@given(
    body=BODIES,
    origin=st.one_of(st.just(ORIGIN), HEADER),
    agent=st.one_of(st.just("Mozilla/5.0 Firefox/140.0"), HEADER),
    content_type=st.one_of(st.just("application/json"), HEADER),
    forwarded=HEADER,
)
def test_no_input_makes_the_endpoint_fail(
    published: Any,
    post_view: Any,
    body: bytes,
    origin: str,
    agent: str,
    content_type: str,
    forwarded: str,
) -> None:
    api.forget()
    before = PageView.objects.count()

    response = post_view(
        body,
        origin=origin,
        agent=agent,
        content_type=content_type,
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    event(f"answered {response.status_code}")
    assert response.status_code < 500, response
    assert response.status_code in (204, 400, 403, 405, 413, 415), response
    added = list(PageView.objects.all()[before:])
    assert len(added) <= 1
    for row in added:
        assert response.status_code == 204
        assert row.site == "www.coopo.fr" and row.path.startswith("/")
        assert len(row.path) <= PATH_LENGTH
        assert "?" not in row.path  # Coopo names no query parameter


PATHS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)


@FUZZ
@given(
    path=PATHS,
    query=PATHS,
    referrer=st.one_of(st.just(""), st.text(max_size=200), st.builds("https://{}".format, PATHS)),
    screen=st.one_of(st.sampled_from(["mobile", "tablet", "desktop"]), st.text(max_size=8)),
    lang=st.one_of(st.sampled_from(["fr", "en", ""]), st.text(max_size=3)),
)
def test_page_views_with_odd_fields_are_stored_reduced_or_refused(
    published: Any, post_view: Any, path: str, query: str, referrer: str, screen: str, lang: str
) -> None:
    api.forget()
    before = PageView.objects.count()
    body = view_body(url=f"{ORIGIN}/{path}?{query}", referrer=referrer, screen=screen, lang=lang)

    response = post_view(json.dumps(body).encode())

    event(f"answered {response.status_code}")
    assert response.status_code in (204, 400, 413), response
    added = list(PageView.objects.all()[before:])
    assert len(added) == (1 if response.status_code == 204 else 0)
    for row in added:
        assert row.path.startswith("/") and "?" not in row.path
        assert "/" not in row.referrer and len(row.referrer) <= 253
