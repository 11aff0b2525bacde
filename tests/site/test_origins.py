"""The allowed origins, apart from the public policy: the `gardien site` command, the policy's
versions, the back-office page and its permissions, and the refused origins."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from gardien.audit import words
from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.lib.command import InputError
from gardien.policy import services as policy
from gardien.policy.models import PolicyVersion
from gardien.site import services
from gardien.site.models import AllowedOrigin, RefusedOrigin
from tests.backoffice.helpers import Account, otp_session_client

SITE = "https://atelier.example"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def site(*args: str, lang: str = "en") -> str:
    out = io.StringIO()
    call_command("site", *args, lang=lang, stdout=out)
    return out.getvalue()


def echo(origin: str) -> Any:
    return Client().post("/test/echo/", HTTP_ORIGIN=origin)


# --------------------------------------------------------------------------- the command


def test_it_adds_lists_and_removes_an_origin(db: Any) -> None:
    assert echo(SITE).status_code == 403
    assert f"{SITE} is allowed" in site("add-origin", SITE)
    assert echo(SITE).status_code == 200
    listing = site("origins")
    assert SITE in listing and "command line" in listing and "1 other site allowed." in listing
    assert "was already allowed; nothing changed" in site("add-origin", f"  {SITE} ")
    assert "is no longer allowed" in site("remove-origin", SITE)
    assert echo(SITE).status_code == 403
    assert "No other site is allowed" in site("origins")
    entries = list(AuditEntry.objects.filter(target_type="site.allowedorigin").order_by("position"))
    assert [(e.action, e.target_ref) for e in entries] == [
        ("allow_origin", SITE),
        ("remove_origin", SITE),
    ]


def test_it_lists_when_each_was_added_in_the_organisations_zone(db: Any, settings: Any) -> None:
    site("add-origin", SITE)
    assert settings.TIME_ZONE in site("origins")


@pytest.mark.parametrize(
    "bad",
    ["https://atelier.example/", "atelier.example", "https://atelier.example/page", "ftp://x"],
)
def test_it_refuses_what_is_not_an_origin_with_one_sentence(db: Any, bad: str) -> None:
    with pytest.raises(InputError) as refused:
        site("add-origin", bad)
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert message.count(".") >= 1 and "\n" not in message
    assert f"“{bad}” is not a site origin" in message
    assert not AllowedOrigin.objects.exists()


def test_it_says_in_french_what_is_wrong(db: Any) -> None:
    with pytest.raises(InputError) as refused:
        site("add-origin", "https://atelier.example/", lang="fr")
    assert "n’est pas une origine de site" in str(refused.value)
    with pytest.raises(InputError) as refused:
        site("remove-origin", SITE, lang="fr")
    assert "n’est pas une origine autorisée" in str(refused.value)


def test_removing_an_origin_not_allowed_exits_2(db: Any) -> None:
    with pytest.raises(InputError) as refused:
        site("remove-origin", SITE)
    assert refused.value.returncode == 2
    assert "is not an allowed origin; `gardien site origins` lists them." in str(refused.value)


def test_the_command_line_exits_2_with_a_sentence(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "LANG": "en_GB.UTF-8"}
    done = subprocess.run(
        [sys.executable, "-m", "gardien", "site", "add-origin", "https://x.example/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("“https://x.example/” is not a site origin")
    assert "CommandError" not in done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "gardien", "site", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "publishes nothing" in helped.stdout and "--settings" not in helped.stdout


# --------------------------------------------------------------------------- the public policy


def _with_origins(coopo_path: Path, tmp_path: Path, origins: str) -> Path:
    text = coopo_path.read_text(encoding="utf-8")
    assert 'url = "https://coopo.fr"\n' in text
    draft = tmp_path / "gardien.toml"
    draft.write_text(
        text.replace(
            'url = "https://coopo.fr"\n', f'url = "https://coopo.fr"\norigins = {origins}\n'
        ),
        encoding="utf-8",
    )
    return draft


def test_an_origin_change_creates_no_public_version(
    published: Any, coopo_path: Path, tmp_path: Path, settings: Any
) -> None:
    site("add-origin", SITE)
    site("remove-origin", SITE)
    assert PolicyVersion.objects.count() == 1
    # The old way, listing origins in the manifest, publishes nothing, and allows nothing
    # either: the site settings are the one place (gardien check says so, gardien.W002).
    draft = _with_origins(coopo_path, tmp_path, f'["{SITE}"]')
    settings.GARDIEN_MANIFEST = draft
    changes = policy.draft_changes("en")
    assert not changes.differs and not changes.problems
    assert policy.publish(draft, note="origin") is None
    assert PolicyVersion.objects.count() == 1
    assert not AllowedOrigin.objects.filter(origin=SITE).exists()


def test_a_removed_site_stays_removed_after_a_publication(
    published: Any, coopo_path: Path, tmp_path: Path
) -> None:
    """A manifest that still lists the site must not allow it again when a version goes out."""
    site("add-origin", SITE)
    site("remove-origin", SITE)
    text = _with_origins(coopo_path, tmp_path, f'["{SITE}"]').read_text(encoding="utf-8")
    changed = tmp_path / "changed.toml"
    changed.write_text(text.replace('name = "Coopo.fr"', 'name = "Coopo"'), encoding="utf-8")
    assert policy.publish(changed, note="renamed") is not None
    assert not AllowedOrigin.objects.filter(origin=SITE).exists()


def test_allowing_the_same_site_twice_at_once_allows_it_once(transactional_db: Any) -> None:
    import threading

    from gardien.site import services as origins
    from gardien.site.models import AddedFrom

    barrier = threading.Barrier(2)
    created: list[bool] = []

    def allow() -> None:
        from django.db import connection

        try:
            barrier.wait()
            created.append(origins.add(SITE, source=AddedFrom.COMMAND)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=allow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False, True]
    assert AllowedOrigin.objects.filter(origin=SITE).count() == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.example.org:443", "https://www.example.org"),
        ("http://a.example:80", "http://a.example"),
    ],
)
def test_a_default_port_is_dropped_as_a_browser_drops_it(typed: str, stored: str) -> None:
    from gardien.site import services as origins

    assert origins.normalise(typed) == stored


@pytest.mark.parametrize("typed", ["https://...", "https://a..b", "https://.example.org"])
def test_a_host_without_a_name_is_refused(typed: str) -> None:
    from gardien.site import services as origins

    with pytest.raises(origins.InvalidOrigin):
        origins.normalise(typed)


def test_publishing_a_manifest_whose_origins_alone_changed_publishes_nothing(
    published: Any, coopo_path: Path, tmp_path: Path
) -> None:
    draft = _with_origins(coopo_path, tmp_path, f'["{SITE}"]')
    out = io.StringIO()
    call_command("policy", "publish", "--yes", "--manifest", str(draft), lang="en", stdout=out)
    assert "Nothing to publish" in out.getvalue()
    assert PolicyVersion.objects.count() == 1


def test_a_version_published_with_origins_is_the_same_policy_without_them(
    db: Any, coopo_path: Path, tmp_path: Path
) -> None:
    """A version published before origins left the policy hashed them: the same manifest
    without them is no new version."""
    old = policy.publish(_with_origins(coopo_path, tmp_path, '["https://coopo.fr"]'))
    assert old is not None
    PolicyVersion.objects.filter(pk=old.pk).update(content_hash="0" * 64)  # as hashed before
    policy.invalidate()
    assert policy.publish(coopo_path) is None
    assert not policy.draft_changes("en", coopo_path).differs


def test_check_warns_that_origins_moved(coopo_path: Path, tmp_path: Path) -> None:
    draft = _with_origins(coopo_path, tmp_path, f'["{SITE}"]')
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("check", str(draft), stdout=out, stderr=err)
    assert f"gardien site add-origin {SITE}" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    call_command("check", str(coopo_path), stdout=out, stderr=err)
    assert "add-origin" not in err.getvalue()


# --------------------------------------------------------------------------- the back office


def _account(role: str, name: str) -> Account:
    user, password, two_factor = accounts.create_account(name, BY_SLUG[role])
    return Account(user, password, two_factor)


PAGE = "/admin/site/origins/"


def test_the_dpo_allows_and_removes_an_origin_in_the_back_office(db: Any) -> None:
    dpo = otp_session_client(_account("dpo", "dpo"))
    page = dpo.get(PAGE)
    assert page.status_code == 200 and "Allowed origins" in page.text
    response = dpo.post(PAGE, {"action": "add", "origin": SITE})
    assert response.status_code == 302
    assert AllowedOrigin.objects.get(origin=SITE).added_by.get_username() == "dpo"
    assert f"{SITE} is allowed" in dpo.get(PAGE).text
    bad = dpo.post(PAGE, {"action": "add", "origin": "https://x.example/path"})
    assert bad.status_code == 400 and "is not a site origin" in bad.text
    assert dpo.post(PAGE, {"action": "remove", "origin": SITE}).status_code == 302
    assert not AllowedOrigin.objects.exists()
    assert AuditEntry.objects.filter(action="remove_origin", actor_kind="staff").exists()
    with translation.override("fr"):
        assert [words.action("allow_origin"), words.action("remove_origin")] == [
            "Origine du site autorisée",
            "Origine du site retirée",
        ]


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_other_roles_read_the_page_but_change_nothing(db: Any, role: str) -> None:
    services.add(SITE, source=services.AddedFrom.COMMAND)
    client = otp_session_client(_account(role, role))
    page = client.get(PAGE)
    assert page.status_code == 200 and SITE in page.text
    assert (
        "Only the DPO role may change this list." in page.text and 'name="action"' not in page.text
    )
    assert client.post(PAGE, {"action": "remove", "origin": SITE}).status_code == 403
    assert client.post(PAGE, {"action": "add", "origin": "https://b.example"}).status_code == 403
    assert list(AllowedOrigin.objects.values_list("origin", flat=True)) == [SITE]


def test_the_page_needs_a_csrf_token(db: Any) -> None:
    dpo = otp_session_client(_account("dpo", "dpo"))
    dpo.handler.enforce_csrf_checks = True
    assert dpo.post(PAGE, {"action": "add", "origin": SITE}).status_code == 403
    assert not AllowedOrigin.objects.exists()


def test_a_refused_origin_is_shown_reviewed_and_allowed(published: Any) -> None:
    stranger = "https://shop.atelier.example"
    assert Client().post("/api/consent", HTTP_ORIGIN=stranger).status_code == 403
    config = Client().get("/consent/config/1/fr.json", HTTP_ORIGIN="https://banner.example")
    assert "Access-Control-Allow-Origin" not in config
    dpo = otp_session_client(_account("dpo", "dpo"))
    page = dpo.get(PAGE).text
    assert stranger in page and "https://banner.example" in page
    assert f'href="?review={quote(stranger, safe="/")}#add-origin"' in page
    reviewed = dpo.get(PAGE, {"review": stranger}).text
    assert f'value="{stranger}"' in reviewed and 'id="review-warning"' in reviewed
    assert not AllowedOrigin.objects.filter(origin=stranger).exists()  # never one click
    assert dpo.post(PAGE, {"action": "add", "origin": stranger}).status_code == 302
    assert stranger not in dpo.get(PAGE).text.split('id="refused-origins"')[1]
    assert not RefusedOrigin.objects.filter(origin=stranger).exists()
    assert "Site settings" in dpo.get("/admin/").text


# --------------------------------------------------------------------------- refused origins


def test_only_the_origin_is_recorded_and_writes_are_throttled(db: Any) -> None:
    for _ in range(30):
        echo("https://flood.example")
    echo("null")  # a sandboxed frame: nothing anyone could allow
    echo("https://" + "a" * 300 + ".example")
    rows = list(RefusedOrigin.objects.values_list("origin", "count"))
    assert rows == [("https://flood.example", 1)]  # one write a minute; counted in memory


def test_refused_origins_are_bounded(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "MAX_WRITES_PER_MINUTE", 1000)
    for n in range(services.MAX_REFUSED + 20):
        echo(f"https://site{n}.example")
    assert RefusedOrigin.objects.count() == services.MAX_REFUSED
    assert RefusedOrigin.objects.filter(origin=f"https://site{services.MAX_REFUSED + 19}.example")


def test_a_flood_of_made_up_origins_costs_few_writes(db: Any) -> None:
    for n in range(200):
        echo(f"https://made-up-{n}.example")
    assert RefusedOrigin.objects.count() == services.MAX_WRITES_PER_MINUTE


def test_the_allowed_origins_cost_no_query_once_read(
    db: Any, django_assert_num_queries: Any
) -> None:
    from gardien.security import allowed_origins

    services.add(SITE, source=services.AddedFrom.COMMAND)
    assert SITE in allowed_origins()
    with django_assert_num_queries(0):
        start = time.perf_counter()
        for _ in range(10_000):
            allowed_origins()
        spent = time.perf_counter() - start
    assert spent < 0.5, f"10,000 look-ups took {spent:.3f} s"


# --------------------------------------------------------------------------- upgrading


def test_upgrading_keeps_the_published_origins_allowed(transactional_db: Any) -> None:
    """A database whose published version lists [site] origins: `gardien migrate` copies them
    into the allowed origins, so the banner keeps working where it did."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    before = [("site", "0001_initial"), *(node for node in leaves if node[0] != "site")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old.get_model("policy", "PolicyVersion").objects.create(
        number=1,
        content_hash="0" * 64,
        published_at=timezone.now(),
        manifest={"site": {"name": "Coopo", "origins": ["https://coopo.fr", SITE]}},
        source="",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = AllowedOrigin.objects.order_by("origin")
    assert [(r.origin, r.added_from) for r in rows] == [
        (SITE, "manifest"),
        ("https://coopo.fr", "manifest"),
    ]


def test_the_demo_allows_the_coopo_sites(db: Any, settings: Any) -> None:
    settings.PRODUCTION = False
    call_command("demo", "setup", stdout=io.StringIO())
    call_command("demo", "setup", stdout=io.StringIO())  # again: nothing changes
    assert sorted(AllowedOrigin.objects.values_list("origin", "added_from")) == [
        ("https://coopo.fr", "demo"),
        ("https://www.coopo.fr", "demo"),
    ]
