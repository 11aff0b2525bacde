"""Vault: finding one person by email among 10,000 and 1,000,000, and encrypted writes.

Figures:
- lookup time of one person by email (blind-index lookup through `vault.find_person`)
  among 10k and among 1M people; the 1M/10k ratio must stay near 1 (an index lookup);
- Person writes per second through the ORM (encryption + keyed index), against the same
  INSERT of plaintext values with the bare database driver (the limit).

The 1M-person database is built once under var/bench/ and reused by later runs.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
LOOKUPS = 2000
WRITES = 2000


def _setup_django(db_file: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    # The development keys (var/secrets.json), made once as `make run` makes them: the
    # settings read them at set-up, and a fresh clone has none.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gardien"), "secrets", "init"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"`gardien secrets init` failed:\n{done.stdout}{done.stderr}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if not settings.configured or not getattr(django, "_gardien_ready", False):
        django.setup()
        django._gardien_ready = True  # type: ignore[attr-defined]


def _email(i: int) -> str:
    return f"person{i}@example.org"


def _populate(db_file: Path, count: int) -> None:
    """Fill a fresh database with ``count`` people, fast (bulk INSERT of encrypted rows)."""
    from django.core.management import call_command
    from django.db import connections

    from gardien.lib import clock, crypto

    call_command("migrate", verbosity=0, database="default")
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM vault_person")
        if cursor.fetchone()[0] >= count:
            return
        cursor.execute("DELETE FROM vault_person")
    created = clock.now().isoformat()
    start = time.perf_counter()
    batch: list[tuple[str, str, str, str]] = []
    for i in range(count):
        email = _email(i)
        batch.append(
            (
                uuid.uuid4().hex,
                crypto.encrypt(email),
                crypto.blind_index(crypto.normalise_email(email)),
                created,
            )
        )
        if len(batch) == 20_000 or i == count - 1:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO vault_person (id, email, email_index, created_at) "
                    "VALUES (%s, %s, %s, %s)",
                    batch,
                )
            batch = []
            print(f"  populating {db_file.name}: {i + 1}/{count}", end="\r", flush=True)
    print(f"  populated {db_file.name} with {count} people in {time.perf_counter() - start:.0f} s")


def _lookup_times(count: int) -> list[float]:
    from gardien.vault.services import find_person

    rng = random.Random(42)
    times = []
    for _ in range(LOOKUPS):
        email = _email(rng.randrange(count)).upper()
        t0 = time.perf_counter()
        person = find_person(f"  {email} ")
        times.append(time.perf_counter() - t0)
        assert person is not None
    return times


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _write_rates(db_file: Path) -> tuple[float, float]:
    from django.db import connections, transaction

    from gardien.lib import clock
    from gardien.vault.models import Person

    # Gardien: ORM create with encryption and blind index, one transaction per write.
    t0 = time.perf_counter()
    for i in range(WRITES):
        with transaction.atomic():
            Person.objects.create(
                email=f"writer{i}-{uuid.uuid4().hex[:6]}@example.org", created_at=clock.now()
            )
    gardien_rate = WRITES / (time.perf_counter() - t0)
    connections["default"].close()

    # Bare: the same INSERT with plaintext values, sqlite3 module, one commit per write.
    bare = sqlite3.connect(db_file, isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=FULL")  # as Gardien's settings
    created = clock.now().isoformat()
    t0 = time.perf_counter()
    for i in range(WRITES):
        bare.execute("BEGIN IMMEDIATE")
        email = f"bare{i}-{uuid.uuid4().hex[:6]}@example.org"
        bare.execute(
            "INSERT INTO vault_person (id, email, email_index, created_at) VALUES (?, ?, ?, ?)",
            (uuid.uuid4().hex, email, email, created),
        )
        bare.execute("COMMIT")
    bare_rate = WRITES / (time.perf_counter() - t0)
    bare.close()
    return gardien_rate, bare_rate


def run() -> list[dict]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sizes = {"10k": 10_000, "1M": 1_000_000}
    if os.environ.get("GARDIEN_BENCH_QUICK"):
        sizes = {"10k": 1_000, "1M": 20_000}
    rows: list[dict] = []
    medians: dict[str, float] = {}
    for label, count in sizes.items():
        db_file = BENCH_DIR / f"vault-{count}.sqlite3"
        # Each size uses its own database file: reconfigure the default connection.
        from django.db import connections

        _setup_django(db_file)
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = str(db_file)
        _populate(db_file, count)
        times = _lookup_times(count)
        medians[label] = statistics.median(times)
        rows.append(
            {
                "name": f"find_person among {label}: median",
                "value": medians[label] * 1e6,
                "unit": "µs",
            }
        )
        rows.append(
            {
                "name": f"find_person among {label}: p99",
                "value": _percentile(times, 0.99) * 1e6,
                "unit": "µs",
            }
        )
    rows.append(
        {"name": "lookup time ratio 1M / 10k", "value": medians["1M"] / medians["10k"], "unit": "×"}
    )
    from django.db import connections

    write_db = BENCH_DIR / "vault-writes.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{write_db}{suffix}").unlink(missing_ok=True)
    connections["default"].close()
    connections["default"].settings_dict["NAME"] = str(write_db)
    _populate(write_db, 0)
    gardien_rate, bare_rate = _write_rates(write_db)
    rows.append(
        {
            "name": "person writes (encrypted, ORM) vs bare INSERT",
            "value": gardien_rate,
            "unit": "writes/s",
            "baseline": bare_rate,
        }
    )
    rows.append(
        {"name": "encrypt + blind index of one email", "value": _crypto_cost() * 1e6, "unit": "µs"}
    )
    return rows


def _crypto_cost() -> float:
    """The part of a write spent on encryption and the keyed index."""
    from gardien.lib import crypto

    t0 = time.perf_counter()
    for i in range(WRITES):
        email = f"cost{i}@example.org"
        crypto.encrypt(email)
        crypto.blind_index(crypto.normalise_email(email))
    return (time.perf_counter() - t0) / WRITES
