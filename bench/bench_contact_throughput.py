"""Contact messages: ``POST /api/contact`` under load, against a bare WSGI app doing the same
writes without Django.

For SQLite (a fresh file under var/bench/contact/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench_contact``; skipped with a line when
unreachable), as bench/bench_consent_throughput.py does (both use bench/_serving.py):

- Gardien: migrate, publish the Coopo policy, serve ``gardien.wsgi`` with gunicorn
  (2 sync workers) with ``GARDIEN_ALTCHA=false`` (a browser's proof of work is not what is
  measured), ``GARDIEN_RATE_LIMIT=1000000/600`` and ``GARDIEN_BEHIND_PROXY=true``; wrk
  (8 connections, bench/wrk_post.lua) POSTs a JSON message with every field the manifest's
  ``contact`` activity declares, from ``Origin: https://coopo.fr``;
- bare: bench/contact_bare_app.py under the same gunicorn command, on a copy of the
  migrated schema, with the same keys (the ``secrets.json`` of ``gardien secrets init``).

Each message comes from a new person: the email differs on every request (wrk replaces a
marker in the body); and from an address of its own, in ``X-Forwarded-For``, as visitors
behind Gardien's reverse proxy are, so that the limit's read finds one address's few rows
rather than the whole load's (the limit is raised so that it never refuses).

Per message received, Gardien writes in one transaction the encrypted message (answers and
the sender's email, no person yet) and the counted submission; the bare app does these
same writes (its docstring lists what it leaves out). Filing the message with the vault
(person, last contact, audit entries, the staff notification in the outbox) is the
worker's, seconds later, and no worker runs here: it is not what a visitor waits for.
Both servers run side by side; after one POST checked for 201 and a
1 s warm-up each, wrk alternates between them in 4 rounds of 3 s per app (G B, B G, …).

Figures: messages/s (2xx answers per second), p50 and p99 latency, each with the bare
figure as baseline; and the durability check: messages stored during the run against the
2xx answers counted by wrk (equal, as no request is left in flight). The log also names the
rows each app added to every table it writes, per message. Target: Gardien ≥ 0.5× the
bare messages/s on SQLite and on PostgreSQL.

wrk comes from Debian (installed with apt-get when missing, else the benchmark is skipped).
``CONTACT_BENCH_SECONDS`` changes the measured duration (default 12 s per app, in 4 rounds;
``GARDIEN_BENCH_QUICK`` makes it 4 s). Every process started here is stopped on any exit.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

# bench/ is not a package (run.py loads each benchmark by its path): its helpers by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    LABELS,
    MANIFEST,
    Database,
    Processes,
    Server,
    Skip,
    alternate,
    bare_gunicorn,
    clean_environ,
    figures,
    free_port,
    gardien_env,
    gunicorn,
    prepare_gardien,
    rounds_for,
    run_on_each_database,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "contact"
TABLE = "contact_contactmessage"
# Every table a message writes to, to show that both apps write the same rows.
WRITTEN = (TABLE, "antispam_countedsubmission")
ORIGIN = "https://coopo.fr"
ROUNDS = 4  # per app, alternating with the other app
TARGETS = {"sqlite": 0.5, "postgres": 0.5}
PG_DB = "gardien_bench_contact"  # and gardien_bench_contact_bare: a copy
RATE_LIMIT = "1000000/600"
MARKER = "__N__"  # replaced by wrk_post.lua on each request: a new email address


def _seconds() -> int:
    if os.environ.get("CONTACT_BENCH_SECONDS"):
        return max(1, int(os.environ["CONTACT_BENCH_SECONDS"]))
    return 4 if os.environ.get("GARDIEN_BENCH_QUICK") else 12


def log(message: str) -> None:
    print(f"  contact_throughput: {message}", flush=True)


def _declared_fields() -> list[dict[str, Any]]:
    """The fields a visitor fills in, as the manifest declares them (a copy of no value)."""
    manifest = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    for activity in manifest.get("activities", []):
        if activity.get("id") == "contact":
            return [f for f in activity.get("fields", []) if f.get("input") != "generated"]
    raise Skip(f"{MANIFEST} declares no contact activity")


def _message(fields: list[dict[str, Any]]) -> dict[str, str]:
    """A message filling every declared field, its email made unique by the marker."""
    body: dict[str, str] = {"lang": "fr"}
    for declared in fields:
        kind, limit = declared.get("input", "text"), declared.get("max_length") or 200
        if kind == "email":
            body[declared["name"]] = f"visitor.{MARKER}@example.org"
        elif kind == "choice":
            body[declared["name"]] = declared["choices"][0]["value"]
        elif kind == "textarea":
            text = "Bonjour, nous aimerions savoir comment rejoindre la coopérative. "
            body[declared["name"]] = (text * 8)[: min(limit, 500)].strip()
        else:
            body[declared["name"]] = "Camille Durand-Lefèvre"[:limit]
    return body


def _rows_per_table(db: Database, copy: str) -> dict[str, int]:
    return {table: db.count(copy, table) for table in WRITTEN}


def _bench_database(wrk: str, procs: Processes, kind: str) -> list[dict[str, Any]]:
    db = Database(kind, WORK, table=TABLE, pg_db=PG_DB)
    label = LABELS[kind]
    db.prepare()
    rounds, per_round = rounds_for(_seconds(), ROUNDS)
    fields = _declared_fields()
    payload = json.dumps(_message(fields), ensure_ascii=False, separators=(",", ":"))
    email = next(f["name"] for f in fields if f.get("input") == "email")
    wrk_env = {"WRK_ORIGIN": ORIGIN, "WRK_UNIQUE": MARKER, "WRK_FORWARDED": "1"}
    try:
        port = free_port()
        env = gardien_env(
            db,
            port,
            GARDIEN_ALTCHA="false",
            GARDIEN_RATE_LIMIT=RATE_LIMIT,
            GARDIEN_BEHIND_PROXY="true",
        )
        prepare_gardien(db, env, label, log)
        db.copy_to("bare")
        gardien = Server("gardien", db, "/api/contact", wrk_env, log)
        gardien.start(procs, gunicorn("gardien.wsgi", port), env, port, "/contact/")
        gardien.check(payload, payload.replace(MARKER, "check"))
        bare_port = free_port()
        bare_env = {
            **clean_environ(),
            "CONTACT_BARE_DB": db.url_of("bare"),
            "CONTACT_BARE_SECRETS": str(db.var_dir / "secrets.json"),
            "CONTACT_BARE_ORIGINS": ORIGIN,
            "CONTACT_BARE_FIELDS": json.dumps([f["name"] for f in fields]),
            "CONTACT_BARE_EMAIL": email,
            "CONTACT_BARE_VERSION": "1",
            "CONTACT_BARE_RATE": RATE_LIMIT,
        }
        bare = Server("bare", db, "/api/contact", wrk_env, log)
        bare.start(procs, bare_gunicorn("contact_bare_app", bare_port), bare_env, bare_port, "/")
        bare.check(payload, payload.replace(MARKER, "check"))
        before = {s.name: _rows_per_table(db, s.name) for s in (gardien, bare)}
        results = alternate(wrk, procs, [gardien, bare], rounds, per_round, "messages/s", log)
        for server in (gardien, bare):
            after = _rows_per_table(db, server.name)
            added = {t: after[t] - before[server.name][t] for t in WRITTEN}
            per_message = ", ".join(
                f"{t} {added[t] / max(1, added[TABLE]):.2f}" for t in WRITTEN if t != TABLE
            )
            log(f"{label}: {server.name}: rows added per message stored: {per_message}")
    finally:
        procs.stop_all()
        db.drop()
    return figures(
        "contact messages/s", "messages/s", label, gardien, bare, results, TARGETS[kind], log
    )


def run() -> list[dict[str, Any]]:
    return run_on_each_database("contact throughput", WORK, _bench_database, TARGETS, log)
