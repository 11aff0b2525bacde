"""The demo site of `make run`: several pages of the organisation's own site sharing one
layout — the menu between them, the one banner tag, the gated stand-ins, the footer with
the privacy links — in French and English, and a legal notice read from the published
manifest."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gardien.demo.views import MENU
from gardien.manifest import Manifest
from gardien.policy import services as policy

PAGES = ["demo-home", "demo-offer", "demo-contact", "demo-newsletter", "demo-legal"]
LANGS = ["fr", "en"]
VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "area", "base", "col"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    within: tuple[str, ...]  # the tags of its ancestors, outermost first
    text: str = ""


class Page(HTMLParser):
    """The elements of a page, each with its ancestors' tags and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), tuple(e.tag for e in self.open))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def find(self, tag: str, within: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag
            and (within is None or within in e.within)
            and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def links(self, within: str | None = None) -> list[str]:
        return [str(e.attrs["href"]) for e in self.find("a", within) if e.attrs.get("href")]


def manifest() -> Manifest:
    current = policy.published()
    assert current is not None
    return current.manifest


def url(name: str, lang: str | None) -> str:
    return reverse(name) if lang is None else reverse(f"{name}-lang", kwargs={"lang": lang})


def get(name: str, lang: str | None, **headers: Any) -> tuple[Any, Page]:
    response = Client().get(url(name, lang), headers=headers)
    page = Page()
    page.feed(response.content.decode("utf-8"))
    return response, page


@pytest.mark.parametrize("name", PAGES)
def test_each_page_answers_in_french_and_english(published, name):
    for lang in LANGS:
        response, page = get(name, lang)
        assert response.status_code == 200, url(name, lang)
        assert page.find("html")[0].attrs["lang"] == lang
        assert response["Content-Language"] == lang
        assert len(page.find("h1")) == 1
    # Without a prefix, the browser's language (French when it names none Gardien speaks).
    assert get(name, None)[1].find("html")[0].attrs["lang"] == "fr"
    response, page = get(name, None, accept_language="en-GB,en;q=0.8")
    assert page.find("html")[0].attrs["lang"] == "en"
    assert "Accept-Language" in response["Vary"]


def test_the_existing_address_slash_is_still_the_home_page(published):
    response, page = get("demo-home", None)
    assert response.request["PATH_INFO"] == "/"
    assert response.status_code == 200
    # It links Gardien's hosted contact form, as `make run` tells (tests/contact).
    assert "/fr/contact/" in page.links("main")


@pytest.mark.parametrize("name", PAGES)
def test_every_page_carries_the_one_banner_tag_and_the_gated_stand_in(published, name):
    for lang in LANGS:
        _, page = get(name, lang)
        banner = [e for e in page.find("script") if e.attrs.get("src") == "/consent/gardien.js"]
        assert len(banner) == 1, "the banner's script tag, once"
        assert "defer" in banner[0].attrs and "type" not in banner[0].attrs
        gated = page.find("script", type="text/plain")
        # The audience measurement is Gardien's own beacon, which the banner loads.
        assert {(e.attrs["data-gardien-purpose"], e.attrs["src"]) for e in gated} == {
            ("brevo_tracking", "/demo/tracker.js"),
        }


def test_the_home_and_offer_pages_carry_a_gated_embed_that_starts_empty(published):
    declared = {p.id for p in manifest().cookies.purposes}
    for name in ("demo-home", "demo-offer"):
        for lang in LANGS:
            _, page = get(name, lang)
            (frame,) = page.find("iframe")
            assert frame.attrs["data-gardien-purpose"] in declared
            assert frame.attrs["data-src"] == "/demo/embed.html"
            assert "src" not in frame.attrs, "the embed must wait for the visitor's consent"
            assert frame.attrs.get("title"), "a frame needs an accessible name"
    # Every purpose a page gates on is one the published manifest declares.
    for name in PAGES:
        _, page = get(name, "fr")
        used = {e.attrs.get("data-gardien-purpose") for e in page.elements}
        assert used - {None} <= declared


@pytest.mark.parametrize("name", PAGES)
def test_nothing_is_loaded_from_another_origin(published, name):
    for lang in LANGS:
        _, page = get(name, lang)
        loaded = [
            str(e.attrs[a])
            for e in page.elements
            for a in ("src", "data-src")
            if e.attrs.get(a) is not None
        ]
        loaded += [str(e.attrs["href"]) for e in page.find("link")]
        assert loaded
        for address in loaded:
            assert address.startswith("/") and not address.startswith("//"), address
            # The banner tag's stable address redirects to the hashed file.
            assert Client().get(address, follow=True).status_code == 200, address


@pytest.mark.parametrize("lang", LANGS)
def test_the_pages_link_to_each_other_in_their_language(published, lang):
    with translation.override(lang):
        menu = [(url(name, lang), str(label)) for name, label in MENU]
    for name in PAGES:
        _, page = get(name, lang)
        # The header's menu: the same pages, in the same order, on every page.
        items = page.find("a", within="header")
        shown = [(str(a.attrs["href"]), a.text.strip()) for a in items if "nav" in a.within]
        assert shown[: len(menu)] == menu
        footer = page.links("footer")
        # Every page reaches every other one (the legal notice from the footer).
        for other in PAGES:
            assert url(other, lang) in page.links(), f"{name} does not link to {other}"
        assert url("demo-legal", lang) in footer
        # The page itself is marked as the current one, in the menu or the footer.
        current = [a.attrs["href"] for a in page.find("a", aria_current="page")]
        assert current == [url(name, lang)]
        # The same footer: the privacy policy, and the link that reopens the banner's panel.
        assert url("policy", lang) in footer
        footer_links = page.find("a", within="footer")
        settings_links = [a for a in footer_links if "data-gardien-open-settings" in a.attrs]
        assert [a.attrs["href"] for a in settings_links] == [url("consent-page", lang)]
        # The other language of the same page.
        other_lang = next(code for code in LANGS if code != lang)
        assert url(name, other_lang) in page.links("header")


@pytest.mark.parametrize("lang", LANGS)
def test_every_link_of_every_page_answers(published, lang):
    followed: set[str] = set()
    for name in PAGES:
        _, page = get(name, lang)
        for href in page.links():
            if href.startswith("/") and href not in followed:
                followed.add(href)
                target = href.split("#")[0]
                if target.startswith("/admin/"):
                    assert Client().get(target).status_code == 302  # the back office's login
                else:
                    assert Client().get(target).status_code == 200, (name, href)
    # The contact page leads to Gardien's hosted form, the newsletter page to its sign-up.
    assert url("contact", lang) in get("demo-contact", lang)[1].links("main")
    assert url("newsletter", lang) in get("demo-newsletter", lang)[1].links("main")


# --- the legal notice ---------------------------------------------------------------------


def notice_text(lang: str = "fr", section: str | None = None) -> str:
    """The legal notice's text, or that of its section labelled by the heading ``section``."""
    response, page = get("demo-legal", lang)
    assert response.status_code == 200
    if section is None:
        (part,) = page.find("main")
    else:
        (part,) = page.find("section", aria_labelledby=section)
    return " ".join(part.text.split())


def test_the_legal_notice_shows_the_published_controller(published):
    m = manifest()
    for lang in LANGS:
        text = notice_text(lang)
        for value in (
            m.controller.name,
            m.controller.address,
            m.controller.email,
            m.controller.website,
            m.dpo.email,
            m.dpo.postal_address,
            m.authority.name,
            m.authority.full_name.get(lang),
        ):
            assert value in text, f"{value!r} missing from the legal notice ({lang})"
        links = get("demo-legal", lang)[1].links("main")
        assert f"mailto:{m.controller.email}" in links
        assert url("policy", lang) + "#recipients" in links  # the hosts, listed once there
        assert url("rights", lang) in links


def test_the_legal_notice_follows_the_next_published_version(published, edited_manifest):
    before = manifest().controller
    edited = edited_manifest(
        (
            f'address = "{before.address}"\nemail = "{before.email}"',
            'address = "12 rue des Tisserands, 38000 Grenoble, France"\n'
            'email = "bonjour@coopo.fr"\nphone = "+33 4 76 00 00 00"\n'
            'legal_form = "SCOP SARL"\nregistration = "RCS Grenoble 000 000 000"',
        )
    )
    assert policy.publish(edited, note="moved") is not None
    text = notice_text(section="publisher-title")
    for value in (
        "12 rue des Tisserands, 38000 Grenoble, France",
        "bonjour@coopo.fr",
        "+33 4 76 00 00 00",
        "SCOP SARL",
        "RCS Grenoble 000 000 000",
    ):
        assert value in text
    assert before.address not in text and before.email not in text


def test_before_publication_the_legal_notice_says_it_is_not_there_yet(db):
    response, page = get("demo-legal", "fr")
    assert response.status_code == 503
    (main,) = page.find("main")
    assert "Laval-en-Belledonne" not in main.text and not page.find("dl")
    # The other pages stand without a published policy.
    for name in PAGES[:-1]:
        assert get(name, "fr")[0].status_code == 200


def test_the_demo_site_is_off_without_its_setting(published, settings):
    settings.GARDIEN_DEMO_SITE = False
    for name in PAGES:
        for lang in (None, *LANGS):
            assert get(name, lang)[0].status_code == 404
    assert Client().get("/demo/tracker.js").status_code == 404
