"""What every public page offers: a way to the policy and to the cookie settings, and no cookie."""

from __future__ import annotations

from html.parser import HTMLParser


class _Footer(HTMLParser):
    """The links inside the page's <footer>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "footer":
            self.depth += 1
        elif tag == "a" and self.depth:
            self.links.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "footer":
            self.depth -= 1


def footer_links(html: str) -> list[dict[str, str | None]]:
    parser = _Footer()
    parser.feed(html)
    return parser.links


PAGES = [
    ("/privacy/", 200),
    ("/fr/privacy/", 200),
    ("/en/privacy/", 200),
    ("/en/privacy/history/", 200),
    ("/fr/privacy/versions/1/", 200),
    ("/en/privacy/diff/?from=1&to=1", 200),
    ("/en/privacy/diff/?from=one&to=1", 400),
    ("/en/no-such-page/", 404),
    ("/", 200),
]


def test_it_links_every_page_to_the_policy_and_the_cookie_settings(client, published):
    for url, status in PAGES:
        response = client.get(url)
        assert response.status_code == status, url
        links = footer_links(response.text)
        hrefs = [link.get("href") or "" for link in links]
        assert any(h.rstrip("/").endswith("/privacy") for h in hrefs), (url, hrefs)
        settings_links = [link for link in links if "data-gardien-open-settings" in link]
        assert len(settings_links) == 1, url
        assert "/consent/" in (settings_links[0].get("href") or ""), url


def test_it_keeps_the_footer_when_nothing_is_published(client, db):
    for url in ("/en/privacy/", "/en/privacy/history/"):
        response = client.get(url)
        assert response.status_code == 503, url
        links = footer_links(response.text)
        assert any("data-gardien-open-settings" in link for link in links), url
        assert any(link.get("href") == "/en/privacy/" for link in links), url


def test_it_sets_no_cookie_on_any_public_page(client, published):
    for url, status in PAGES:
        response = client.get(url)
        assert response.status_code == status, url
        assert not response.cookies, url
    assert not client.cookies


def test_it_serves_its_own_stylesheet_and_nothing_from_elsewhere(client, published):
    page = client.get("/en/privacy/").text
    assert '<link rel="stylesheet" href="/static/gardien/gardien.css">' in page
    response = client.get("/static/gardien/gardien.css")
    assert response.status_code == 200
    assert "@media print" in b"".join(response.streaming_content).decode()
