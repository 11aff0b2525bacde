from __future__ import annotations


def test_it_serves_the_policy_in_french_by_default(client, published):
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert "Laval-en-Belledonne" in response.text


def test_it_serves_english_from_the_prefix(client, published):
    response = client.get("/en/privacy/")
    assert response.status_code == 200
    assert "<h1 id=\"policy-title\">Privacy policy</h1>" in response.text
