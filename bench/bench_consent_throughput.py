"""Consent writes: ``POST /api/consent`` under load, against a bare WSGI app doing the same INSERT.

For SQLite (a fresh file under var/bench/consent/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench``, or ``CONSENT_BENCH_PG_DB``; skipped with a
line when unreachable):

- Gardien: migrate, publish the Coopo policy, serve ``gardien.wsgi`` with gunicorn
  (2 sync workers, no access log), read ``/consent/config/fr.json`` to build a valid body,
  and ``wrk`` (8 connections, one per thread, bench/wrk_post.lua) POSTs it with
  ``Origin: https://coopo.fr``. Every request comes from one address, so the limit per
  address (``GARDIEN_CONSENT_RATE_LIMIT``) is set out of reach: its check still runs on each
  request, and what is measured is the write. The body has no ``request_id`` (a fixed body
  would be one choice retried), so each request writes a new proof under a new signed id;
- bare: ``bench/consent_bare_app.py`` served by the same gunicorn command on a copy of the
  migrated schema, doing only ``json.loads`` and the same single INSERT (same columns, same
  kind of values), one transaction per request, one persistent connection per worker.

Gardien is measured twice in the same run, on the same server and ledger: sealing off, and
sealing on. Sealing on, a sealer process (this file run as ``… bench_consent_throughput.py
sealer``, calling ``gardien.consent.seal.seal_pending()`` with the bench's settings and
database) seals what is new every ``CONSENT_BENCH_SEAL_SECONDS`` (default 5 s) of its
rounds, counted only while they run, and is idle during the other apps' rounds, so that its
cost falls on its own figures. Gardien's worker seals every 15 minutes; sealing every few
seconds makes the cost of sealing show in a run this short. It is pessimistic: each seal
also folds the proofs written by the sealing-off rounds since the last one. At the end, the
seals made and proofs sealed during the run are counted, and ``gardien consent verify``
must say the ledger is intact.

The servers run side by side; after one POST checked for 201 and a 1 s warm-up each, wrk
alternates between them in 4 rounds of 3 s per app (G S B, B S G, …: S is Gardien sealing
on), so that a change in the machine's load during the run weighs on all alike. Rates and
latency histograms are summed over the rounds; the rows are counted round by round.

Figures, sealing off, then sealing on (``(SQLite, sealing on)``): writes/s (2xx answers per
second), p50 and p99 latency, each with the bare figure as baseline; and the durability
check: rows written during the rounds against the 2xx answers counted by wrk (the wrk
script stops each connection right after an answer, so no request is left in flight and the
two must be equal). Then the seals made and proofs sealed while loaded, the longest seal
(seconds, seal_pending() whole), and whether ``gardien consent verify`` said intact (1) or
not (0). Targets, sealing off and on alike: Gardien ≥ 0.6× the bare writes/s on SQLite,
≥ 0.5× on PostgreSQL.

wrk comes from Debian (installed with apt-get when missing, else the benchmark is skipped
with a line). ``CONSENT_BENCH_SECONDS`` changes the measured duration (default 12 s per
app, in 4 rounds; ``GARDIEN_BENCH_QUICK`` makes it 4 s). Every process started here is
stopped on any exit. The serving, the databases and the rounds are bench/_serving.py's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

# bench/ is not a package (run.py loads each benchmark by its path): its helpers by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    LABELS,
    VENV_BIN,
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
    http,
    prepare_gardien,
    rounds_for,
    run_on_each_database,
    verdict,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "consent"
TABLE = "consent_consentrecord"
ORIGIN = "https://coopo.fr"
ROUNDS = 4  # per app, alternating with the other app
TARGETS = {"sqlite": 0.6, "postgres": 0.5}
# And <name>_bare: a copy. Another name lets two runs share the server.
PG_DB = os.environ.get("CONSENT_BENCH_PG_DB", "gardien_bench")
# The check of the limit per address runs; wrk's one address never reaches it.
OUT_OF_REACH = "1000000000/1"
# Far more often than the worker's 15 minutes, so that sealing's cost shows in a short run.
SEAL_SECONDS = float(os.environ.get("CONSENT_BENCH_SEAL_SECONDS") or 5)


def _seconds() -> int:
    if os.environ.get("CONSENT_BENCH_SECONDS"):
        return max(1, int(os.environ["CONSENT_BENCH_SECONDS"]))
    return 4 if os.environ.get("GARDIEN_BENCH_QUICK") else 12


def log(message: str) -> None:
    print(f"  consent_throughput: {message}", flush=True)


class ConsentDatabase(Database):
    """The database under test, and what the bare app needs to know of the consent table."""

    # The consent table's columns, which are auto-numbered, and which are single-column unique.
    def columns(self) -> list[dict[str, Any]]:
        conn = self.connect("bare")
        try:
            if self.kind == "sqlite":
                info = conn.execute(f'PRAGMA table_info("{TABLE}")').fetchall()
                if not info:
                    raise Skip(f"the table {TABLE} does not exist after `gardien migrate`")
                unique: set[str] = set()
                for index in conn.execute(f'PRAGMA index_list("{TABLE}")').fetchall():
                    if index[2]:
                        cols = conn.execute(f'PRAGMA index_info("{index[1]}")').fetchall()
                        if len(cols) == 1:
                            unique.add(cols[0][2])
                return [
                    {
                        "name": name,
                        "type": (ctype or "").lower(),
                        "nullable": not notnull,
                        "auto": bool(pk) and (ctype or "").lower() == "integer",
                        "unique": name in unique or bool(pk),
                    }
                    for _cid, name, ctype, notnull, _default, pk in info
                ]
            rows = conn.execute(
                "SELECT column_name, data_type, is_nullable, column_default, is_identity "
                "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                (TABLE,),
            ).fetchall()
            if not rows:
                raise Skip(f"the table {TABLE} does not exist after `gardien migrate`")
            unique_rows = conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                "WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indnatts = 1",
                (TABLE,),
            ).fetchall()
            unique = {r[0] for r in unique_rows}
            return [
                {
                    "name": name,
                    "type": dtype.lower(),
                    "nullable": nullable == "YES",
                    "auto": identity == "YES" or "nextval(" in (default or ""),
                    "unique": name in unique,
                }
                for name, dtype, nullable, default, identity in rows
            ]
        finally:
            conn.close()

    def template_row(self) -> dict[str, Any] | None:
        """One row Gardien wrote: the bare app's constant values are taken from it."""
        conn = self.connect()
        try:
            cursor = conn.execute(f'SELECT * FROM "{TABLE}" ORDER BY 1 LIMIT 1')
            row = cursor.fetchone()
            if row is None:
                return None
            return dict(zip([d[0] for d in cursor.description], row, strict=True))
        finally:
            conn.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        raise Skip("a binary column in the consent table: the bare app cannot copy it")
    return value


def _bare_spec(db: ConsentDatabase, body: dict[str, Any]) -> dict[str, Any]:
    """What the bare app writes in each column: the same columns and kind of values."""
    template = db.template_row() or {}
    columns = []
    for col in db.columns():
        name, ctype = col["name"], col["type"]
        sample = template.get(name)
        if col["auto"]:
            continue  # the database numbers it, as for Gardien
        if name == "consent_id":
            columns.append([name, "id", None])
        elif name in body:
            columns.append([name, "body", name])
        elif "timestamp" in ctype or ctype.startswith("datetime"):
            columns.append([name, "now", None])
        elif col["unique"] and isinstance(sample, str):
            is_hex = sample and all(c in "0123456789abcdef" for c in sample)
            columns.append([name, "hex" if is_hex else "token", len(sample)])
        elif name in template:
            columns.append([name, "const", _jsonable(sample)])
        elif col["nullable"]:
            columns.append([name, "const", None])
        else:
            raise Skip(f"no value for column {name} ({ctype}) of {TABLE} without a Gardien row")
    return {"table": TABLE, "columns": columns}


# --------------------------------------------------------------------------- sealing on


class Sealer:
    """The sealer process, sealing only while ``on`` (a file it watches), and what it did."""

    def __init__(self, db: Database) -> None:
        self.flag = db.var_dir / "sealing.on"
        self.stats_file = db.var_dir / "sealer.json"
        self.log_file = db.var_dir / "sealer.log"

    def start(self, procs: Processes, env: dict[str, str]) -> None:
        self.flag.unlink(missing_ok=True)
        self.stats_file.unlink(missing_ok=True)
        sealer_env = {
            **env,
            "CONSENT_SEALER_FLAG": str(self.flag),
            "CONSENT_SEALER_STATS": str(self.stats_file),
            "CONSENT_BENCH_SEAL_SECONDS": str(SEAL_SECONDS),
        }
        args = [str(VENV_BIN / "python"), str(Path(__file__).resolve()), "sealer"]
        self.proc = procs.start(args, sealer_env, self.log_file)
        deadline = time.monotonic() + 60
        while not self.stats_file.exists():  # written once Django is set up
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace")[-1500:]
                raise Skip(f"the sealer did not start:\n{tail}")
            time.sleep(0.1)

    def on(self) -> None:
        self.flag.touch()

    def off(self) -> None:
        self.flag.unlink(missing_ok=True)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = json.loads(self.stats_file.read_text())
        if self.proc.poll() is not None:
            tail = self.log_file.read_text(errors="replace")[-1500:]
            raise Skip(f"the sealer stopped during the run:\n{tail}")
        return stats


class SealedServer(Server):
    """Gardien's own server, measured while the sealer seals: its rounds turn it on."""

    def __init__(self, gardien: Server, sealer: Sealer) -> None:
        super().__init__("gardien_sealing", gardien.db, gardien.path, gardien.wrk_env, gardien.log)
        self.copy = gardien.copy  # the same ledger
        self.base, self.url, self.proc = gardien.base, gardien.url, gardien.proc
        self.payload = gardien.payload
        self.sealer = sealer

    def wrk(self, wrk: str, seconds: int, measured: bool = True) -> None:
        self.sealer.on()
        try:
            super().wrk(wrk, seconds, measured)
        finally:
            self.sealer.off()


def _sealer_main() -> None:
    """The sealer process: ``seal_pending()`` after every CONSENT_BENCH_SEAL_SECONDS spent
    with the flag file present; what it sealed, and how long each seal took, in a JSON file."""
    import django

    django.setup()
    from gardien.consent.seal import seal_pending

    flag = Path(os.environ["CONSENT_SEALER_FLAG"])
    stats_file = Path(os.environ["CONSENT_SEALER_STATS"])
    interval = float(os.environ["CONSENT_BENCH_SEAL_SECONDS"])
    stats: dict[str, Any] = {"seals": 0, "proofs": 0, "runs": 0, "longest": 0.0, "total": 0.0}

    def write() -> None:
        temporary = stats_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(stats))
        temporary.replace(stats_file)

    write()
    on_for, last = 0.0, time.monotonic()
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        if flag.exists():
            on_for += now - last
        last = now
        if on_for < interval:
            continue
        on_for = 0.0
        started = time.monotonic()
        made = seal_pending()
        took = time.monotonic() - started
        stats["runs"] += 1
        stats["seals"] += len(made)
        stats["proofs"] += sum(s.count for s in made)
        stats["longest"] = max(stats["longest"], took)
        stats["total"] += took
        write()
        last = time.monotonic()  # the seal's own time is not an interval's


def _verify(env: dict[str, str]) -> tuple[bool, str]:
    """Whether ``gardien consent verify`` says the ledger is intact; its last line."""
    done = subprocess.run(
        [str(VENV_BIN / "gardien"), "consent", "verify"],
        env={**env, "LANGUAGE": "en"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.strip().splitlines()  # stderr: the system checks' warnings
    return done.returncode == 0, (lines[-1] if lines else f"exit {done.returncode}")


# --------------------------------------------------------------------------- one database


def _body_from_config(base: str) -> dict[str, Any]:
    status, raw = http("GET", f"{base}/consent/config/fr.json")
    if status != 200:
        raise Skip(
            f"Gardien's consent API is not there yet: GET /consent/config/fr.json answered {status}"
        )
    config = json.loads(raw)
    decisions = {
        p["id"]: True
        for p in config["purposes"]
        if p.get("consent") in ("required", "exempt_with_opt_out")
    }
    return {
        "consent_id": None,
        "action": "accept_all",
        "decisions": decisions,
        "version": config["version"],
        "config_hash": config["hash"],
        "lang": "fr",
        "gpc": False,
    }


def _bench_database(wrk: str, procs: Processes, kind: str) -> list[dict[str, Any]]:
    db = ConsentDatabase(kind, WORK, table=TABLE, pg_db=PG_DB)
    label = LABELS[kind]
    db.prepare()
    rounds, per_round = rounds_for(_seconds(), ROUNDS)
    wrk_env = {"WRK_ORIGIN": ORIGIN}
    try:
        port = free_port()
        env = gardien_env(db, port, GARDIEN_CONSENT_RATE_LIMIT=OUT_OF_REACH)
        prepare_gardien(db, env, label, log)
        db.copy_to("bare")
        gardien = Server("gardien", db, "/api/consent", wrk_env, log)
        gardien.start(procs, gunicorn("gardien.wsgi", port), env, port, "/consent/config/fr.json")
        body = _body_from_config(gardien.base)
        payload = json.dumps(body, separators=(",", ":"))
        gardien.check(payload)
        # The bare app's constant values come from the row Gardien just wrote.
        spec = _bare_spec(db, body)
        described = ", ".join(
            f"{c[0]}={c[1]}" + (f"({c[2]})" if c[1] in ("body", "hex", "token") else "")
            for c in spec["columns"]
        )
        log(f"{label}: bare: INSERT INTO {TABLE} with {described}")
        bare_port = free_port()
        bare_env = {
            **clean_environ(),
            "CONSENT_BARE_DB": db.url_of("bare"),
            "CONSENT_BARE_SPEC": json.dumps(spec),
        }
        bare = Server("bare", db, "/api/consent", wrk_env, log)
        bare.start(procs, bare_gunicorn("consent_bare_app", bare_port), bare_env, bare_port, "/")
        bare.check(payload)
        sealer = Sealer(db)
        sealer.start(procs, env)
        sealing = SealedServer(gardien, sealer)
        log(f"{label}: sealing on: a seal every {SEAL_SECONDS:g} s of its rounds")
        servers = [gardien, sealing, bare]
        results = alternate(wrk, procs, servers, rounds, per_round, "writes/s", log)
        stats = sealer.stats()
        procs.stop(sealer.proc)
        intact, said = _verify(env)
        log(
            f"{label}: sealing on: {stats['seals']} seal(s) of {stats['proofs']} proof(s) in "
            f"{stats['runs']} run(s), longest {stats['longest']:.3f} s, total "
            f"{stats['total']:.2f} s; `gardien consent verify`: {said}"
        )
    finally:
        procs.stop_all()
        db.drop()
    target = TARGETS[kind]
    found = figures("consent writes/s", "writes/s", label, gardien, bare, results, target, log)
    sealed = figures("consent writes/s", "writes/s", label, sealing, bare, results, target, log)
    for row in sealed:
        row["name"] = row["name"].replace(f"({label})", f"({label}, sealing on)")
    log(verdict(f"{label} sealing on", sealed, target))
    return [
        *found,
        *sealed,
        {"name": f"seals made ({label}, sealing on)", "value": stats["seals"], "unit": "seals"},
        {
            "name": f"proofs sealed ({label}, sealing on)",
            "value": stats["proofs"],
            "unit": "proofs",
        },
        {"name": f"longest seal ({label}, sealing on)", "value": stats["longest"], "unit": "s"},
        {"name": f"verify intact ({label}, sealing on)", "value": int(intact), "unit": "yes=1"},
    ]


def run() -> list[dict[str, Any]]:
    return run_on_each_database("consent throughput", WORK, _bench_database, TARGETS, log)


if __name__ == "__main__" and sys.argv[1:] == ["sealer"]:
    _sealer_main()
