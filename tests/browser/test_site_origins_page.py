"""The back office's allowed origins in Chromium, in French, for the DPO: a refused site is
listed, reviewed (the add form filled in, with what allowing means) and allowed; axe-core
finds nothing; the screenshot is kept."""

from __future__ import annotations

from typing import Any

from django.test import Client

from gardien.site.models import AllowedOrigin
from tests.browser.helpers import expect
from tests.browser.test_backoffice_fr import fast_hasher, log_in, look  # noqa: F401

STRANGER = "https://boutique.coopo.example"


def test_the_dpo_reviews_then_allows_a_refused_site(site: str, page: Any, fast_hasher) -> None:  # noqa: F811
    assert Client().post("/api/consent", HTTP_ORIGIN=STRANGER).status_code == 403
    log_in(page, site, "dpo-origins")
    expect(page.locator("#site-origins-summary")).to_contain_text("1 site refusé récemment.")

    page.goto(f"{site}/admin/site/origins/")
    look(
        page,
        "site-origins",
        ("Origines autorisées", "Sites refusés récemment", STRANGER, "https://www.coopo.fr"),
    )
    page.get_by_role("link", name=f"Examiner {STRANGER}").click()
    expect(page.locator("#id_origin")).to_have_value(STRANGER)
    expect(page.locator("#review-warning")).to_contain_text("lettre par lettre")
    look(page, "site-origins-review", ("Vérifiez", STRANGER))
    assert not AllowedOrigin.objects.filter(origin=STRANGER).exists()  # reviewing allows nothing
    page.locator("#add-origin").get_by_role("button", name="Autoriser").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Le site {STRANGER} est autorisé ; rien n’a été publié."
    )
    expect(page.locator("#refused-origins")).to_contain_text("Aucun site n’a été refusé récemment.")
    assert AllowedOrigin.objects.get(origin=STRANGER).added_by.get_username() == "dpo-origins"
    look(page, "site-origins-after", ("Origines autorisées", STRANGER))
