"""Rights: the access export of one person among 10,000 and among 1,000,000.

Every person has a contact message, a newsletter subscription with its proof of consent and
a last contact, so the export reads every registered table. Figures, on SQLite:
- ``vault.export`` of one person (the registry walked, each record read and audited);
- the whole access package (``rights.fulfil.package``: the export, the Art. 15 letter
  rendered, the zip), which is what the download link delivers;
each as the median and p99 over 200 people drawn at random, and the 1M/10k ratio of the
medians (target: at most 50 ms, and flat: a ratio near 1).

The databases are built once under var/bench/ and reused by later runs (building the 1M one
takes a few minutes). ``GARDIEN_BENCH_QUICK=1`` uses 1,000 and 20,000 people.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SAMPLES = 200


def _setup_django(db_file: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    sys.path.insert(0, str(ROOT))
    import django

    if not getattr(django, "_gardien_ready", False):
        django.setup()
        django._gardien_ready = True  # type: ignore[attr-defined]


def _email(i: int) -> str:
    return f"person{i}@example.org"


def _populate(count: int) -> None:
    """People with a contact message, a subscription, its proof and a last contact each,
    inserted in bulk (one ciphertext shared by the rows no one reads: the export decrypts
    only its person's)."""
    from django.core.management import call_command
    from django.db import connection

    from gardien.lib import clock, crypto
    from gardien.policy.services import publish

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM vault_person")
        if cursor.fetchone()[0] >= count:
            return
    publish(ROOT / "examples" / "coopo" / "gardien.toml", note="bench")
    now = clock.now().isoformat()
    answers = crypto.encrypt(json.dumps({"message": "Bonjour", "last_name": "Durand"}))
    blank = crypto.encrypt("")
    start = time.perf_counter()
    for first in range(0, count, 20_000):
        people, messages, proofs, subscriptions, contacts = [], [], [], [], []
        for i in range(first, min(first + 20_000, count)):
            email = _email(i)
            index = crypto.blind_index(crypto.normalise_email(email))
            person, proof = uuid.uuid4().hex, uuid.uuid4().hex
            people.append((person, crypto.encrypt(email) if i < 1000 else blank, index, now))
            messages.append(
                (uuid.uuid4().hex, f"C-B{i:09d}", person, blank, answers, "fr", 1, now, now)
            )
            proofs.append((proof, person, index, "fr", "page", 1, "0" * 64, now, now, ""))
            subscriptions.append((uuid.uuid4().hex, person, "fr", proof, now))
            contacts.append((person, "contact", now))
            contacts.append((person, "newsletter", now))
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO vault_person (id, email, email_index, created_at) "
                "VALUES (%s, %s, %s, %s)",
                people,
            )
            cursor.executemany(
                "INSERT INTO contact_contactmessage (id, reference, person_id, email, answers, "
                "lang, policy_version, received_at, filed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                messages,
            )
            cursor.executemany(
                "INSERT INTO newsletter_consentproof (id, person_id, email_hash, lang, source, "
                "policy_version, statement_sha256, signed_up_at, confirmed_at, withdrawn_how) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                proofs,
            )
            cursor.executemany(
                "INSERT INTO newsletter_subscription (id, person_id, lang, proof_id, "
                "confirmed_at) VALUES (%s, %s, %s, %s, %s)",
                subscriptions,
            )
            cursor.executemany(
                "INSERT INTO vault_lastcontact (person_id, activity, at) VALUES (%s, %s, %s)",
                contacts,
            )
        print(f"  populating: {min(first + 20_000, count)}/{count}", end="\r", flush=True)
    print(f"  populated {count} people in {time.perf_counter() - start:.0f} s" + " " * 20)


def _times(count: int) -> tuple[list[float], list[float]]:
    """(vault.export, the whole package) for SAMPLES people among the first 1,000 (those
    whose address is stored for real), spread over the table."""
    from gardien.audit.services import Actor
    from gardien.lib import clock
    from gardien.rights import fulfil
    from gardien.rights.models import RightsRequest
    from gardien.vault import services as vault

    rng = random.Random(7)
    exports, packages = [], []
    for _ in range(SAMPLES):
        email = _email(rng.randrange(min(count, 1000)))
        person = vault.find_person(email)
        assert person is not None
        t0 = time.perf_counter()
        data = vault.export(person, actor=Actor.system(), reason="bench")
        exports.append(time.perf_counter() - t0)
        assert data["activities"]["contact"]
        request = RightsRequest.objects.create(
            channel="email",
            lang="fr",
            rights=["access"],
            email=email,
            person=person,
            state=RightsRequest.State.VERIFIED,
            received_at=clock.now(),
            due_at=clock.now(),
        )
        t0 = time.perf_counter()
        body = fulfil.package(request, "access")
        packages.append(time.perf_counter() - t0)
        assert body[:2] == b"PK"
        request.delete()
    return exports, packages


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def run() -> list[dict]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sizes = {"10k": 10_000, "1M": 1_000_000}
    if os.environ.get("GARDIEN_BENCH_QUICK"):
        sizes = {"10k": 1_000, "1M": 20_000}
    rows: list[dict] = []
    medians: dict[str, tuple[float, float]] = {}
    for label, count in sizes.items():
        db_file = BENCH_DIR / f"rights-{count}.sqlite3"
        _setup_django(db_file)
        from django.db import connections

        from gardien.policy.services import invalidate

        connections["default"].close()
        connections["default"].settings_dict["NAME"] = str(db_file)
        invalidate()
        _populate(count)
        exports, packages = _times(count)
        medians[label] = (statistics.median(exports), statistics.median(packages))
        for what, values in (("vault.export", exports), ("access package", packages)):
            rows.append(
                {
                    "name": f"{what} of one person among {label}: median",
                    "value": statistics.median(values) * 1000,
                    "unit": "ms",
                }
            )
            rows.append(
                {
                    "name": f"{what} of one person among {label}: p99",
                    "value": _p99(values) * 1000,
                    "unit": "ms",
                }
            )
    small, large = list(sizes)
    for i, what in enumerate(("vault.export", "access package")):
        rows.append(
            {
                "name": f"{what}: median 1M / 10k",
                "value": medians[large][i] / medians[small][i],
                "unit": "×",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
