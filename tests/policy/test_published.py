"""One published policy: the manifest file is a draft until it is published, and a stored
version renders as it was published."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from gardien.manifest import ManifestError, load_path, rules, schema
from gardien.policy import services
from gardien.policy.services import publish
from tests.english import english  # noqa: F401
from tests.policy.test_register import PASSWORD, boss, boss_client  # noqa: F401 (fixtures)

RENAMED = ('name = "Coopo"', 'name = "Coopo Renamed SCOP"')

PUBLIC_PAGES = [
    "/fr/privacy/",
    "/en/privacy/",
    "/fr/privacy/history/",
    "/fr/privacy/versions/1/",
    "/fr/consent/",
    "/en/privacy/cookies/",
    "/privacy/cookies.json",
    "/consent/config/fr.json",
]


@pytest.fixture
def renamed_draft(published, edited_manifest, settings):
    """Version 1 published; then the controller's name edited in the file, not published."""
    settings.GARDIEN_MANIFEST = edited_manifest(RENAMED)
    return settings.GARDIEN_MANIFEST


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_an_unpublished_edit_of_the_controller_changes_no_public_page(client, renamed_draft, url):
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.content.decode()
    assert "Coopo Renamed" not in text
    if "json" not in response["Content-Type"]:
        assert "Coopo" in text  # the page header names the published controller


def test_the_back_office_shows_the_draft_difference(boss_client, renamed_draft, text_of):  # noqa: F811
    for url in ("/admin/register/", "/admin/policy/policyversion/"):
        text = text_of(boss_client.get(url).text)
        assert "Le brouillon diffère de la version publiée" in text, url
        assert "+ Coopo Renamed SCOP" in text
    # The record of processing itself is the published one.
    register = text_of(boss_client.get("/admin/register/").text)
    assert "Coopo Renamed SCOP" not in register.split("+ Coopo Renamed SCOP", 1)[1]


def test_the_back_office_says_when_the_draft_is_published(boss_client, published, text_of):  # noqa: F811
    text = text_of(boss_client.get("/admin/register/").text)
    assert "dit la même chose que la version 1" in text
    assert "diffère" not in text


def dry_run(*args: str) -> str:
    out = io.StringIO()
    call_command("policy", "publish", "--dry-run", "--lang", "en", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_what_a_publication_would_change_and_publishes_nothing(renamed_draft):
    output = dry_run("--language", "en")
    assert "+ Coopo Renamed SCOP" in output
    assert "- Coopo" in output
    assert "Sections changed: controller." in output
    assert output.rstrip().endswith("Nothing was published (--dry-run).")
    assert "Version 2 would be dated " in output
    assert services.latest_number(max_age=0) == 1


def test_a_dry_run_says_when_there_is_nothing_to_publish(published):
    assert dry_run().strip() == "Nothing to publish: the manifest says the same as version 1."


def test_a_dry_run_lists_the_problems_of_a_broken_draft(published, edited_manifest):
    path = edited_manifest(
        ('retention = "3 years after last_contact"', 'retention = "3 yeers after last_contact"')
    )
    with pytest.raises(CommandError, match="3 yeers"):
        dry_run("--manifest", str(path))


def test_an_old_version_still_renders_after_a_rule_is_made_stricter(
    client, published, edited_manifest, coopo_path, monkeypatch
):
    publish(
        edited_manifest(
            ('retention = "3 years after last_contact"', 'retention = "2 years after last_contact"')
        )
    )
    # A later release of Gardien refuses what version 1 said, both in the schema (data
    # categories) and in the consistency rules.
    monkeypatch.setattr(
        rules, "check", lambda data: [(("controller", "name"), "a stricter rule refuses this")]
    )
    monkeypatch.setattr(schema, "fideslang_categories", dict)  # no data category is known
    with pytest.raises(ManifestError, match="stricter rule") as caught:
        load_path(coopo_path)
    assert "data category" in str(caught.value)
    services.invalidate()
    for url in ("/fr/privacy/versions/1/", "/en/privacy/", "/fr/privacy/diff/?from=1&to=2"):
        assert client.get(url).status_code == 200, url
    assert client.get("/consent/config/1/fr.json").status_code == 200


def test_the_export_reads_the_published_policy_not_the_draft(renamed_draft):
    out = io.StringIO()
    call_command("register", "export", "--format", "json", stdout=out)
    assert "Coopo Renamed" not in out.getvalue()
    out = io.StringIO()
    call_command("register", "export", "--format", "json", "--draft", stdout=out)
    assert "Coopo Renamed SCOP" in out.getvalue()


def test_the_export_before_any_publication_says_what_to_do(db):
    with pytest.raises(CommandError, match="No policy is published yet"):
        call_command("register", "export", "--format", "json", stdout=io.StringIO())


def test_a_publication_reaches_the_service_at_once(published, edited_manifest):
    assert services.published().number == 1
    publish(edited_manifest(RENAMED))
    current = services.published()
    assert current.number == 2
    assert current.manifest.controller.name == "Coopo Renamed SCOP"
