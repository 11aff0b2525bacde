from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def browser(published):
    """A browser on a site whose policy (and so its allowed origins) is published."""
    return Client(enforce_csrf_checks=True)


def test_it_allows_no_site_before_one_is_added(db):
    response = Client().post("/test/echo/", HTTP_ORIGIN="https://www.coopo.fr")
    assert response.status_code == 403
    assert "gardien site add-origin https://www.coopo.fr" in response.json()["message"]


def test_it_allows_the_origins_of_the_published_policy_not_of_the_draft(
    published, settings, tmp_path, coopo_path
):
    draft = tmp_path / "gardien.toml"
    draft.write_text(
        coopo_path.read_text(encoding="utf-8").replace(
            'url = "https://coopo.fr"\n',
            'url = "https://coopo.fr"\norigins = ["https://new.coopo.fr"]\n',
        ),
        encoding="utf-8",
    )
    settings.GARDIEN_MANIFEST = draft
    response = Client().post("/test/echo/", HTTP_ORIGIN="https://new.coopo.fr")
    assert response.status_code == 403


def test_it_accepts_an_allowed_origin_with_cors_headers(browser):
    response = browser.post("/test/echo/", HTTP_ORIGIN="https://www.coopo.fr")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://www.coopo.fr"


def test_it_answers_the_preflight_of_an_allowed_origin(browser):
    response = browser.options("/test/echo/", HTTP_ORIGIN="https://coopo.fr")
    assert response.status_code == 204
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_it_refuses_another_origin_with_a_sentence(browser):
    response = browser.post("/test/echo/", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "gardien site add-origin https://evil.example" in response.json()["message"]
    assert "Access-Control-Allow-Origin" not in response


def test_it_refuses_a_request_with_neither_origin_nor_token(browser):
    response = browser.post("/test/echo/")
    assert response.status_code == 403
    assert "reload the page" in response.json()["message"]


def test_it_accepts_a_hosted_form_with_its_csrf_token(browser):
    browser.get("/privacy/")  # any page; then fetch a token the way a form would
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    response = browser.post("/test/echo/", {"csrfmiddlewaretoken": _mask_cipher_secret(secret)})
    assert response.status_code == 200
