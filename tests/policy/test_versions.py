"""Published versions: publishing, the history, an old version, and the comparison of two."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from gardien.lib import clock
from gardien.manifest import retention, wording
from gardien.policy.models import PolicyVersion
from gardien.policy.services import publish

OLD_RULE = 'retention = "3 years after last_contact"\n'
NEW_RULE = 'retention = "2 years after last_contact"\n'


@pytest.fixture
def two_versions(db, coopo_path, edited_manifest):
    """Version 1 (Coopo as is, 15 January 2026) and 2 (contact kept 2 years, 20 February)."""
    with clock.frozen("2026-01-15T09:00:00+00:00"):
        first = publish(coopo_path, note="First version")
    shorter = edited_manifest((OLD_RULE, NEW_RULE))
    with clock.frozen("2026-02-20T09:00:00+00:00"):
        second = publish(shorter, note="Contact messages kept two years")
    assert first is not None and second is not None
    return first, second


def test_it_publishes_the_first_version(db, coopo_path):
    version = publish(coopo_path, note="  First version  ")
    assert version is not None
    assert version.number == 1
    assert version.note == "First version"
    assert version.source == coopo_path.read_text(encoding="utf-8")
    assert PolicyVersion.objects.count() == 1


def test_it_publishes_nothing_when_the_manifest_is_unchanged(db, coopo_path):
    publish(coopo_path, note="First version")
    assert publish(coopo_path, note="Again") is None
    assert list(PolicyVersion.objects.values_list("number", "note")) == [(1, "First version")]


def test_it_publishes_nothing_when_only_comments_and_spacing_change(
    db, coopo_path, edited_manifest
):
    publish(coopo_path)
    commented = edited_manifest(
        ('name = "Coopo"\n', 'name   =   "Coopo"   # the cooperative\n'),
        prepend="# Reviewed by the DPO in January.\n\n",
    )
    assert publish(commented, note="Comments only") is None
    assert PolicyVersion.objects.count() == 1


def test_it_publishes_a_new_version_when_a_retention_rule_changes(db, coopo_path, edited_manifest):
    publish(coopo_path)
    version = publish(edited_manifest((OLD_RULE, NEW_RULE)), note="Shorter retention")
    assert version is not None
    assert (version.number, version.note) == (2, "Shorter retention")
    assert PolicyVersion.objects.count() == 2


def test_it_publishes_a_new_version_when_a_text_changes(db, coopo_path, edited_manifest):
    publish(coopo_path)
    edited = edited_manifest(("Répondre à votre demande de contact,", "Répondre à votre message,"))
    version = publish(edited, note="Reworded the purpose")
    assert version is not None and version.number == 2


def test_it_dates_the_policy_with_the_latest_version(client, two_versions, text_of):
    text = text_of(client.get("/en/privacy/").text)
    assert "Last updated: 20 February 2026" in text
    assert "15 January 2026" not in text
    assert "version 2" in text
    french = client.get("/fr/privacy/").text
    assert '<time datetime="2026-02-20">20 février 2026</time>' in french


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_shows_the_current_rule_on_the_policy_page(
    client, two_versions, coopo_manifest, text_of, lang
):
    text = text_of(client.get(f"/{lang}/privacy/").text)
    name = coopo_manifest.activity("contact").name.get(lang)
    new = wording.rule(retention.parse_rule("2 years after last_contact"), lang)
    old = wording.rule(retention.parse_rule("3 years after last_contact"), lang)
    colon = " :" if lang == "fr" else ":"  # French typography: a space before the colon
    assert f"{name}{colon} {new}." in text
    assert f"{name}{colon} {old}." not in text


def test_it_lists_every_version_with_its_note_and_a_comparison_link(client, two_versions, text_of):
    response = client.get("/en/privacy/history/")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "First version" in text
    assert "Contact messages kept two years" in text
    assert "15 January 2026" in text and "20 February 2026" in text
    assert 'href="/en/privacy/diff/?from=1&amp;to=2"' in response.text
    assert 'href="/en/privacy/versions/1/"' in response.text
    assert 'href="/en/privacy/versions/2/"' in response.text


def test_it_lists_the_history_unprefixed_in_the_browser_language(client, two_versions):
    response = client.get("/privacy/history/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert 'href="/en/privacy/diff/?from=1&amp;to=2"' in response.text


def test_it_shows_an_old_version_as_no_longer_in_force(client, two_versions, text_of):
    response = client.get("/en/privacy/versions/1/")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "You are reading version 1, which is no longer in force." in text
    assert "Last updated: 15 January 2026" in text
    assert "3 years after the last contact" in text
    assert 'href="/en/privacy/diff/?from=1&amp;to=2"' in response.text


def test_it_shows_the_latest_version_without_the_notice(client, two_versions, text_of):
    text = text_of(client.get("/en/privacy/versions/2/").text)
    assert "no longer in force" not in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_shows_a_retention_change_as_a_removed_and_an_added_line(
    client, two_versions, items_of, lang
):
    response = client.get(f"/{lang}/privacy/diff/?from=1&to=2")
    assert response.status_code == 200
    old = wording.rule(retention.parse_rule("3 years after last_contact"), lang)
    new = wording.rule(retention.parse_rule("2 years after last_contact"), lang)
    removed, added = items_of(response.text, "removed"), items_of(response.text, "added")
    assert any(old in row for row in removed), removed
    assert any(new in row for row in added), added
    assert not any(new in row for row in removed)
    assert not any(old in row for row in added)
    assert "<del>3</del>" in response.text and "<ins>2</ins>" in response.text


@pytest.mark.parametrize("query", ["?from=2&to=2", "?from=1&to=3"])
def test_it_says_when_two_versions_read_the_same(client, two_versions, coopo_path, text_of, query):
    with clock.frozen("2026-03-10T09:00:00+00:00"):
        reverted = publish(coopo_path, note="Back to three years")
    assert reverted is not None and reverted.number == 3
    response = client.get(f"/en/privacy/diff/{query}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "The text read by visitors is the same in both versions." in text
    assert 'class="removed"' not in response.text and 'class="added"' not in response.text


def test_it_shows_no_changed_line_between_identical_versions(client, two_versions, items_of):
    response = client.get("/en/privacy/diff/?from=2&to=2")
    assert response.status_code == 200
    assert items_of(response.text, "removed") == []
    assert items_of(response.text, "added") == []


BAD_QUERIES = [
    "?from=abc&to=2",
    "?from=1",
    "?to=2",
    "",
    "?from=&to=2",
    "?from=-1&to=2",
    "?from=1&to=-2",
    "?from=1&to=99999999999999999999",
    "?from=1.0&to=2",
    "?from=1&to=0x2",
]


def test_it_refuses_bad_comparison_input_with_a_sentence(client, published, text_of):
    for query in BAD_QUERIES:
        response = client.get(f"/en/privacy/diff/{query}")
        assert response.status_code == 400, query
        text = text_of(response.text)
        assert "Choose the two versions to compare from the list of versions." in text, query


def test_it_refuses_non_ascii_digits_with_a_sentence(client, published):
    for digit in ("%C2%B2", "%E2%91%A0"):  # "²" and "①"
        response = client.get(f"/en/privacy/diff/?from={digit}&to=1")
        assert response.status_code == 400, digit


def test_it_answers_an_unknown_version_with_the_generic_404_page(client, two_versions, text_of):
    for url in (
        "/en/privacy/versions/3/",
        "/en/privacy/versions/0/",
        "/en/privacy/versions/99999999999999999999/",
        "/en/privacy/diff/?from=1&to=3",
        "/en/privacy/diff/?from=7&to=2",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        text = text_of(response.text)
        assert "Page not found" in text, url
        assert "Traceback" not in text, url


def test_it_keeps_the_compared_versions_when_switching_language(client, two_versions):
    html = client.get("/en/privacy/diff/?from=1&to=2").text
    assert 'href="/fr/privacy/diff/?from=1&amp;to=2"' in html


def test_it_gives_each_version_its_own_date(two_versions):
    first, second = two_versions
    assert first.published_at == dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    assert second.published_at == dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC)


def test_it_publishes_at_the_date_given_by_now(db, coopo_path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "policy",
        "publish",
        "--yes",
        "--lang",
        "en",
        "--now",
        "2026-02-01",
        "--manifest",
        str(coopo_path),
        stdout=out,
    )
    assert "Published version 1 of the privacy policy (2026-02-01)." in out.getvalue()


def test_it_refuses_to_date_a_version_before_the_last_one(db, coopo_path, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("policy", "publish", "--yes", "--now", "2026-02-01", "--manifest", str(coopo_path))
    changed = tmp_path / "gardien.toml"
    changed.write_text(
        coopo_path.read_text().replace(
            "3 years after last_contact", "2 years after last_contact", 1
        )
    )
    with pytest.raises(CommandError, match="cannot be dated before version 1"):
        call_command(
            "policy",
            "publish",
            "--yes",
            "--lang",
            "en",
            "--now",
            "2026-01-01",
            "--manifest",
            str(changed),
        )
    with translation.override("en"), pytest.raises(CommandError, match="is not a date"):
        call_command("policy", "publish", "--yes", "--now", "yesterday", "--manifest", str(changed))
