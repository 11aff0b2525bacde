"""The retention purge: ``engine.run(now, only="consent")`` on a consent ledger of 2,000,000
proofs, half of them expired, against a bare batched DELETE; and the latency of the consent
writes that keep coming while it runs.

For SQLite (a fresh file under var/bench/purge/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench_purge`` and its snapshot
``gardien_bench_purge_snapshot``; skipped with a line when unreachable):

- the database is migrated and the Coopo manifest published (``gardien secrets init``,
  ``migrate``, ``policy publish``: its consent rule is "25 months after given", counted from
  ``recorded_at``);
- the ledger is filled in SQL (a recursive CTE on SQLite, ``generate_series`` on
  PostgreSQL, in one transaction): 1,000,000 proofs recorded 800 to 1,125 days ago (all
  due), then 1,000,000 recorded in the last 730 days (none due; no row near the boundary,
  where the engine checks a month's clamping one row at a time), in time order, as a site
  writes them: random 22-character consent ids, the hashes of the published fr and en
  configurations, a plausible mix of actions with consistent decisions. PostgreSQL gets a
  ``VACUUM ANALYZE`` (autovacuum may be off, as it is on the benchmark machine). The filled
  database is kept as a snapshot (a copy of the file; ``CREATE DATABASE … TEMPLATE …
  STRATEGY FILE_COPY``) and restored before each phase, so that every phase starts from
  the same rows, ids and pages (the SQLite copy is flushed to disk first);
- **writer alone**: a consent writer (below) for ``PURGE_BENCH_WRITER_SECONDS`` (10 s), no
  purge running: the reference latencies;
- **engine**: ``engine.run(now, only="consent", batch=B)`` (B = ``engine.batch_size()``,
  the ``GARDIEN_PURGE_BATCH`` setting, 250 on SQLite and 5000 on PostgreSQL, unless
  ``PURGE_BENCH_BATCH`` says otherwise;
  ``now`` is the clock's, so on the last day of a month the engine also reads, each batch,
  the proofs a month's clamping makes due one by one: none here, the log says when), timed
  as a whole (lease, receipts and audit entry included); rows/s = rows removed / seconds.
  Every SQL statement of the run is timed through a Django execute wrapper, and the
  commits through the connection's ``_commit``; each batch is cut in up to three phases
  (see ``Timer``): choosing (only when the engine selects the rows before its
  transaction), the transaction (SQLite: from ``BEGIN IMMEDIATE``, which takes the write
  lock, to the end of the commit, a WAL checkpoint included when the commit sets one off;
  PostgreSQL: from the DELETE to the end of the commit) and the loop back to the next
  batch. Checked: the expired rows are all gone, the recent ones all there;
- **bare**: the same database restored, then ``DELETE FROM consent_consentrecord WHERE id IN
  (SELECT id FROM consent_consentrecord WHERE recorded_at < %s LIMIT B)`` repeated until it
  deletes nothing, each statement its own transaction (autocommit), on a connection of its
  own opened as Gardien's settings open theirs (bench/_bare_db.py), with the engine's
  cut-off (``now`` minus 25 calendar months) and the same B;
- **engine + writer**: restored again, the writer started, then the engine's run as above;
  the writes that started while the engine ran give p50, p99, max and a histogram;
- **bare + writer**: the same with the bare loop, for reference: what any batched delete
  costs the writer on this database.

The writer is a process of its own (so it shares no interpreter lock with the purge, as a
gunicorn worker does not share one with the worker process that purges), with Gardien's
settings and its own database connection (SQLite: ``transaction_mode`` IMMEDIATE, busy
timeout 20 s). It records proofs through ``gardien.consent.services.record_choice``, the
call ``POST /api/consent`` makes (validation against the published configuration, then the
ledger's one INSERT in autocommit), every ``1 / PURGE_BENCH_WRITES_PER_S`` s (200/s: far
above any real site's average, so that a purge of a few seconds still gives thousands of
samples), one write at a time, and times each call.

Targets: engine ≥ 0.5× the bare rows/s; the writer's p99 during the purge ≤ 50 ms.

Variables: ``PURGE_BENCH_ROWS``, the number of proofs (default 2,000,000, half of them
expired; ``GARDIEN_BENCH_QUICK`` makes it 200,000 and the writer's reference 4 s);
``PURGE_BENCH_BATCH``, B; ``PURGE_BENCH_WRITES_PER_S``; ``PURGE_BENCH_WRITER_SECONDS``;
``PURGE_BENCH_ONLY`` (``sqlite`` or ``postgres``). The SQLite files (half a gigabyte each)
and the PostgreSQL databases are removed at the end; every process started here is stopped
on any exit.

The same file is Gardien's side of the benchmark, run in a subprocess with Gardien's
settings: ``measure`` (the phases above, against ``DATABASE_URL``) and ``writer RATE`` (the
writer; it writes until a line or the end of its standard input, then prints its
latencies).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# bench/ is not a package (run.py loads each benchmark by its path): its helpers by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    LABELS,
    Database,
    Processes,
    Skip,
    gardien_env,
    loadavg,
    log_tail,
    pg_connect,
    prepare_gardien,
    terminate_as_exit,
)

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
WORK = ROOT / "var" / "bench" / "purge"
TABLE = "consent_consentrecord"
PG_DB = "gardien_bench_purge"
PG_SNAPSHOT = f"{PG_DB}_snapshot"
MEASURE_TIMEOUT = 1200  # seconds for every phase on one database
RATIO_TARGET = 0.5
P99_TARGET_MS = 50.0
# Where the rows lie, in days before now: the expired ones well before the 25 months
# (760 to 762 days) of the rule, the recent ones well after.
EXPIRED_DAYS = (1125, 800)
RECENT_DAYS = (730, 0)


def _rows() -> int:
    if os.environ.get("PURGE_BENCH_ROWS"):
        return max(1000, int(os.environ["PURGE_BENCH_ROWS"]))
    return 200_000 if os.environ.get("GARDIEN_BENCH_QUICK") else 2_000_000


def _writer_seconds() -> float:
    if os.environ.get("PURGE_BENCH_WRITER_SECONDS"):
        return float(os.environ["PURGE_BENCH_WRITER_SECONDS"])
    return 4 if os.environ.get("GARDIEN_BENCH_QUICK") else 10


def _writes_per_s() -> float:
    return float(os.environ.get("PURGE_BENCH_WRITES_PER_S", "200"))


def _databases() -> list[str]:
    only = os.environ.get("PURGE_BENCH_ONLY", "")
    return [k for k in ("sqlite", "postgres") if not only or k == only]


def log(message: str) -> None:
    print(f"  purge: {message}", flush=True)


# --------------------------------------------------------------------------- the runs


def measure(env: dict[str, str], procs: Processes, log_file: Path) -> dict[str, Any]:
    """This file's ``measure`` in a subprocess; its progress lines relayed as they come."""
    with log_file.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, str(HERE), "measure"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,  # its writer too: Processes.stop kills the group
        )
    procs.running.append(proc)
    result: dict[str, Any] | None = None
    assert proc.stdout is not None
    # A phase that hangs (a lock never released) must not hang `make bench`.
    watchdog = threading.Timer(MEASURE_TIMEOUT, procs.stop, (proc,))
    watchdog.daemon = True
    watchdog.start()
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.startswith("RESULT "):
                result = json.loads(line.removeprefix("RESULT "))
            elif line.startswith("SKIP "):
                raise Skip(line.removeprefix("SKIP "))
            else:
                log(line)
        proc.wait(timeout=60)
    finally:
        watchdog.cancel()
        procs.stop(proc)
    if proc.returncode != 0 or result is None:
        raise Skip(f"`{HERE.name} measure` failed (exit {proc.returncode}):\n{log_tail(log_file)}")
    return result


def _bench_database(procs: Processes, kind: str) -> list[dict[str, Any]]:
    label = LABELS[kind]
    db = Database(kind, WORK, table=TABLE, pg_db=PG_DB)
    db.prepare()
    log_file = db.var_dir / "measure.log"
    began = time.monotonic()
    try:
        env = gardien_env(db, 8000, PYTHONUNBUFFERED="1", BENCH_PURGE_KIND=kind)
        prepare_gardien(db, env, label, log)
        load_before = loadavg()
        found = measure(env, procs, log_file)
        load_after = loadavg()
        log(f"{label}: {time.monotonic() - began:.0f} s in all for this database")
    finally:
        procs.stop_all()
        db.drop()
        if kind == "postgres":
            with contextlib.suppress(Exception), pg_connect(autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_SNAPSHOT}" WITH (FORCE)')
        else:  # half a gigabyte each: the logs stay
            for name in ("gardien.sqlite3", "gardien.sqlite3.snapshot"):
                for suffix in ("", "-wal", "-shm"):
                    (db.var_dir / f"{name}{suffix}").unlink(missing_ok=True)
    found["cpus"] = os.cpu_count()
    found["load_average_before"] = load_before
    found["load_average_after"] = load_after
    return figures(label, found)


def figures(label: str, found: dict[str, Any]) -> list[dict[str, Any]]:
    engine, bare = found["engine"], found["bare"]
    alone, during = found["writer_alone"], found["engine_writer"]["writer"]
    bare_during = found["bare_writer"]["writer"]
    ratio = engine["rate"] / bare["rate"]
    log(
        f"{label}: engine {engine['rate']:.0f} rows/s, bare {bare['rate']:.0f} rows/s: "
        f"ratio {ratio:.2f} (target ≥ {RATIO_TARGET}); with the writer: engine "
        f"{found['engine_writer']['rate']:.0f} rows/s, bare {found['bare_writer']['rate']:.0f}"
    )
    log(
        f"{label}: writer p50/p99/max: during the engine's purge {during['p50']:.2f} / "
        f"{during['p99']:.2f} / {during['max']:.2f} ms ({during['writes']} writes); during the "
        f"bare delete {bare_during['p50']:.2f} / {bare_during['p99']:.2f} / "
        f"{bare_during['max']:.2f} ms; no purge {alone['p50']:.2f} / {alone['p99']:.2f} / "
        f"{alone['max']:.2f} ms (target p99 ≤ {P99_TARGET_MS:.0f} ms during the purge)"
    )
    return [
        {
            "name": f"purge rows/s, engine vs bare DELETE ({label})",
            "value": engine["rate"],
            "unit": "rows/s",
            "baseline": bare["rate"],
            "detail": found,
        },
        {
            "name": f"writer p50 during purge vs none ({label})",
            "value": during["p50"],
            "unit": "ms",
            "baseline": alone["p50"],
        },
        {
            "name": f"writer p99 during purge vs none ({label})",
            "value": during["p99"],
            "unit": "ms",
            "baseline": alone["p99"],
        },
        {
            "name": f"writer max during purge vs none ({label})",
            "value": during["max"],
            "unit": "ms",
            "baseline": alone["max"],
        },
        {
            "name": f"writer p99 during purge vs bare DELETE ({label})",
            "value": during["p99"],
            "unit": "ms",
            "baseline": bare_during["p99"],
        },
    ]


def run() -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    rows: list[dict[str, Any]] = []
    verdicts = []
    with terminate_as_exit():
        try:
            for kind in _databases():
                label = LABELS[kind]
                try:
                    found = _bench_database(procs, kind)
                except Skip as exc:
                    log(f"{label}: SKIPPED: {exc}")
                    verdicts.append(f"{label} not measured")
                    continue
                rows.extend(found)
                ratio = found[0]["value"] / found[0]["baseline"]
                p99 = found[2]["value"]
                verdicts.append(
                    f"{label} {ratio:.2f}× of bare (target ≥ {RATIO_TARGET}: "
                    f"{'met' if ratio >= RATIO_TARGET else 'SHORT'}), writer p99 during the "
                    f"purge {p99:.1f} ms (target ≤ {P99_TARGET_MS:.0f}: "
                    f"{'met' if p99 <= P99_TARGET_MS else 'MISSED'})"
                )
        except (KeyboardInterrupt, SystemExit):
            log("interrupted: stopping every process started here")
            raise
        finally:
            procs.stop_all()
    print(f"purge: {'; '.join(verdicts)}", flush=True)
    return rows


# --------------------------------------------------------------------------- Gardien's side


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    import django

    django.setup()


def say(message: str) -> None:
    print(f"{LABELS[os.environ['BENCH_PURGE_KIND']]}: {message}", flush=True)


def _percentiles(values_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(values_ms)
    if not ordered:
        return {"writes": 0, "p50": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return {
        "writes": len(ordered),
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
        "over_50ms": sum(1 for v in ordered if v > 50),
    }


class Ledger:
    """The consent table of the database in ``DATABASE_URL``: fill, snapshot, restore."""

    def __init__(self, total: int) -> None:
        from django.db import connection

        from gardien.consent import config
        from gardien.policy import services as policy

        self.kind = os.environ["BENCH_PURGE_KIND"]
        self.connection = connection
        self.total = total
        self.expired = total // 2
        self.recent = total - self.expired
        published = policy.published()
        if published is None:
            raise Skip("no policy is published after `gardien policy publish`")
        rule = published.manifest.activity("consent").retention
        period = rule.after("given")
        if period is None or len(rule.clauses) != 1:
            raise Skip(f'the consent rule is "{rule.text}", not "<n> months after given"')
        self.period = period
        self.rule = rule.text
        self.configurations = {lang: config.current(lang) for lang in ("fr", "en")}
        self.path = Path(str(connection.settings_dict["NAME"]))

    # ------------------------------------------------------------------ fill

    def fill(self, now_epoch: int) -> None:
        fr, en = self.configurations["fr"], self.configurations["en"]
        assert fr is not None and en is not None
        purposes = fr.switched
        on = json.dumps(dict.fromkeys(purposes, True), separators=(",", ":"))
        off = json.dumps(dict.fromkeys(purposes, False), separators=(",", ":"))
        custom = json.dumps({p: i == 0 for i, p in enumerate(purposes)}, separators=(",", ":"))
        day = 86400
        old0, old1 = now_epoch - EXPIRED_DAYS[0] * day, now_epoch - EXPIRED_DAYS[1] * day
        new0, new1 = now_epoch - RECENT_DAYS[0] * day, now_epoch - RECENT_DAYS[1] * day - 60
        old_step = (old1 - old0) / self.expired
        new_step = (new1 - new0) / self.recent
        e = self.expired
        # i counts from 0; i < e: the expired proofs, oldest first; then the recent ones.
        epoch = (
            f"(CASE WHEN i < {e} THEN {old0} + CAST(i * {old_step!r} AS INTEGER) "
            f"ELSE {new0} + CAST((i - {e}) * {new_step!r} AS INTEGER) END)"
        )
        action = (
            "(CASE WHEN i % 20 < 9 THEN 'accept_all' WHEN i % 20 < 15 THEN 'refuse_all' "
            "WHEN i % 20 < 18 THEN 'close' WHEN i % 20 = 18 THEN 'custom' "
            "WHEN i % 40 = 19 THEN 'gpc' ELSE 'withdraw' END)"
        )
        decisions = (
            f"(CASE WHEN i % 20 < 9 THEN '{on}' WHEN i % 20 = 18 THEN '{custom}' ELSE '{off}' END)"
        )
        lang = "(CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END)"
        config_hash = f"(CASE WHEN i % 3 = 0 THEN '{en.hash}' ELSE '{fr.hash}' END)"
        columns = (
            "consent_id, recorded_at, action, decisions, policy_version, config_hash, lang, gpc"
        )
        version = fr.version
        if self.kind == "sqlite":
            sql = (
                f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
                f"WHERE i + 1 < {self.total}) "
                f'INSERT INTO "{TABLE}" ({columns}) '
                f"SELECT substr(hex(randomblob(11)), 1, 22), datetime({epoch}, 'unixepoch'), "
                f"{action}, {decisions}, {version}, {config_hash}, {lang}, "
                f"(i % 40 = 19) FROM n"
            )
        else:
            sql = (
                f'INSERT INTO "{TABLE}" ({columns}) '
                f"SELECT substr(md5(random()::text), 1, 22), to_timestamp({epoch}), "
                f"{action}, {decisions}::jsonb, {version}, {config_hash}, {lang}, "
                f"(i % 40 = 19) FROM generate_series(0, {self.total - 1}) AS i"
            )
        from django.db import transaction

        with transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{TABLE}"')
            cursor.execute(sql)
        with self.connection.cursor() as cursor:
            if self.kind == "postgres":
                cursor.execute(f'VACUUM ANALYZE "{TABLE}"')
            else:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ snapshot

    def _close(self) -> None:
        from django.db import connections

        connections.close_all()

    def snapshot(self) -> None:
        self._close()
        if self.kind == "sqlite":
            shutil.copyfile(self.path, self._snapshot_path())
            return
        with pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_SNAPSHOT}"')
            conn.execute(
                f'CREATE DATABASE "{PG_SNAPSHOT}" TEMPLATE "{self.path.name}" STRATEGY FILE_COPY'
            )

    def restore(self) -> None:
        self._close()
        if self.kind == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self._snapshot_path(), self.path)
            # On disk before the phase starts: else the first checkpoint's fsync would
            # write the whole copy, inside the measure.
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return
        with pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.path.name}" WITH (FORCE)')
            conn.execute(
                f'CREATE DATABASE "{self.path.name}" TEMPLATE "{PG_SNAPSHOT}" STRATEGY FILE_COPY'
            )

    def _snapshot_path(self) -> Path:
        return self.path.with_name(self.path.name + ".snapshot")

    # ------------------------------------------------------------------ counts

    def cutoff(self, now: Any) -> Any:
        """The engine's cut-off: every proof recorded at or before it is due at ``now``."""
        from gardien.lib.months import add_months

        assert self.period.unit in ("months", "years")
        return add_months(now, -self.period.months)

    def counts(self, now: Any) -> tuple[int, int]:
        """(proofs due at ``now``, proofs not due)."""
        from gardien.consent.models import ConsentRecord

        sure = self.cutoff(now)
        due = ConsentRecord.objects.filter(recorded_at__lte=sure).count()
        kept = ConsentRecord.objects.filter(recorded_at__gt=sure).count()
        return due, kept


# --------------------------------------------------------------------------- timing the engine


class Timer:
    """Every SQL statement of the engine's run, timed and sorted by kind, the commits, and
    each batch cut in up to three: choosing (when the engine selects the rows first: from
    the SELECT … LIMIT B, outside the transaction, to the transaction's first statement),
    the transaction (its first statement, ``BEGIN IMMEDIATE`` on SQLite, the DELETE on
    PostgreSQL, to the end of the commit: on SQLite the time the write lock is held, and
    the checkpoint a commit sets off) and the loop back (from the commit to the next
    batch). A transaction without a DELETE of the ledger (the lease, the receipts) is not
    a batch: its time goes to the loop."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.phases: dict[str, list[float]] = {"choose": [], "transaction": [], "loop": []}
        self.samples: dict[str, str] = {}
        self._state = ""  # "", "choose", "transaction", "loop"
        self._mark = 0.0  # when the current phase started
        self._before: tuple[str, float] = ("", 0.0)  # the phase a transaction interrupted
        self._deleted = False  # the open transaction deleted ledger rows

    def kind(self, sql: str) -> str:
        text = sql.lstrip().upper()
        if "CONSENT_SHOWNCONFIGURATION" in text:
            return "shown configurations"
        if text.startswith("BEGIN"):
            return "begin"
        if text.startswith("DELETE") and TABLE.upper() in text:
            return "delete"
        if text.startswith("SELECT") and TABLE.upper() in text and "LIMIT" in text:
            return "select"
        if TABLE.upper() in text:
            return "other ledger"
        return "other"

    def _add(self, kind: str, seconds: float) -> None:
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds
        self.calls[kind] = self.calls.get(kind, 0) + 1

    def _open(self, start: float, kind: str) -> None:
        if self._state != "transaction":
            self._before = (self._state, self._mark)
            self._state, self._mark, self._deleted = "transaction", start, False
        self._deleted |= kind == "delete"

    def _closed(self, end: float) -> None:
        if self._state != "transaction":
            return
        state, mark = self._before
        if not self._deleted:  # not a batch: back to the phase it interrupted
            self._state, self._mark = state, mark
            return
        if state == "choose":
            self.phases["choose"].append(self._mark - mark)
        elif state == "loop":
            self.phases["loop"].append(self._mark - mark)
        self.phases["transaction"].append(end - self._mark)
        self._state, self._mark = "loop", end

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        kind = self.kind(sql)
        start = time.perf_counter()
        if kind == "select" and self._state != "transaction":
            if self._state == "loop":
                self.phases["loop"].append(start - self._mark)
            self._state, self._mark = "choose", start
        elif kind in ("begin", "delete"):
            self._open(start, kind)
        try:
            return execute(sql, params, many, context)
        finally:
            end = time.perf_counter()
            self._add(kind, end - start)
            if kind not in self.samples:
                self.samples[kind] = sql[:300] + (
                    f" … [{len(params)} parameters]" if params else ""
                )
            if kind == "delete" and self.connection.get_autocommit():
                self._closed(end)  # a statement of its own: committed as it ends

    @contextlib.contextmanager
    def installed(self) -> Any:
        conn = self.connection
        commit = conn._commit

        def timed_commit() -> Any:
            start = time.perf_counter()
            try:
                return commit()
            finally:
                end = time.perf_counter()
                self._add("commit", end - start)
                self._closed(end)

        conn._commit = timed_commit
        try:
            with conn.execute_wrapper(self):
                yield self
        finally:
            del conn._commit

    def summary(self, total: float) -> dict[str, Any]:
        batches = self.calls.get("delete", 0)
        sql = sum(self.seconds.values())
        return {
            "batches": batches,
            "seconds": {k: round(v, 4) for k, v in sorted(self.seconds.items())},
            "calls": dict(sorted(self.calls.items())),
            "outside_sql_s": round(total - sql, 4),
            "ms_per_batch": {
                **{k: round(v / max(batches, 1) * 1000, 3) for k, v in self.seconds.items()},
                "outside SQL": round((total - sql) / max(batches, 1) * 1000, 3),
            },
            "phase_ms_per_batch": {
                k: round(sum(v) / max(len(v), 1) * 1000, 3) for k, v in self.phases.items()
            },
            "phase_ms": {k: _percentiles([x * 1000 for x in v]) for k, v in self.phases.items()},
            "statements": self.samples,
        }


# --------------------------------------------------------------------------- the phases


def _engine(ledger: Ledger, batch: int, timed: bool) -> dict[str, Any]:
    from django.db import connection

    from gardien.consent.models import ConsentRecord
    from gardien.lib import clock
    from gardien.retention import engine

    now = clock.now()
    due, kept = ledger.counts(now)
    month_end = now.day == calendar.monthrange(now.year, now.month)[1]
    if month_end and timed:
        say(
            f"{now:%d %B} is the last day of a month: each batch also reads the proofs of the "
            "day a month's clamping makes due one by one (none here)"
        )
    timer = Timer(connection)
    start = time.monotonic()
    if timed:
        with timer.installed():
            report = engine.run(now, only="consent", batch=batch)
    else:
        report = engine.run(now, only="consent", batch=batch)
    end = time.monotonic()
    seconds = end - start
    outcomes = {
        o.category.key: {"count": o.count, "held": o.held, "seconds": round(o.seconds, 3)}
        for o in report.outcomes
    }
    failed = [f"{o.category.key}: {o.error}" for o in report.failed]
    if failed:
        raise Skip(f"the purge failed: {'; '.join(failed)}")
    removed = outcomes.get(ConsentRecord._meta.label_lower, {}).get("count", 0)
    due_after, kept_after = ledger.counts(now)
    result = {
        "now": now.isoformat(),
        "month_end": month_end,
        "cutoff": ledger.cutoff(now).isoformat(),
        "due_before": due,
        "kept_before": kept,
        "removed": removed,
        "due_after": due_after,
        "kept_after": kept_after,
        "seconds": seconds,
        "rate": removed / seconds,
        "outcomes": outcomes,
        "interrupted": report.interrupted,
        "start": start,
        "end": end,
    }
    if timed:
        result["timing"] = timer.summary(seconds)
    return result


def _bare(ledger: Ledger, batch: int) -> dict[str, Any]:
    """The bare batched DELETE, on a connection of its own, autocommit."""
    from _bare_db import connect
    from django.db import connection

    from gardien.lib import clock

    now = clock.now()
    due, kept = ledger.counts(now)
    cutoff = connection.ops.adapt_datetimefield_value(ledger.cutoff(now))
    url = os.environ["DATABASE_URL"]
    conn = connect(url)
    if ledger.kind == "postgres":
        conn.autocommit = True
    mark = "?" if ledger.kind == "sqlite" else "%s"
    sql = (
        f'DELETE FROM "{TABLE}" WHERE id IN '
        f'(SELECT id FROM "{TABLE}" WHERE recorded_at < {mark} LIMIT {int(batch)})'
    )
    removed = 0
    batches: list[float] = []
    try:
        start = time.monotonic()
        while True:
            t0 = time.perf_counter()
            cursor = conn.execute(sql, (cutoff,))
            batches.append(time.perf_counter() - t0)
            if cursor.rowcount <= 0:
                break
            removed += cursor.rowcount
        end = time.monotonic()
    finally:
        conn.close()
    seconds = end - start
    due_after, kept_after = ledger.counts(now)
    return {
        "now": now.isoformat(),
        "statement": sql,
        "due_before": due,
        "kept_before": kept,
        "removed": removed,
        "due_after": due_after,
        "kept_after": kept_after,
        "seconds": seconds,
        "rate": removed / seconds,
        "batch_ms": _percentiles([b * 1000 for b in batches]),
        "start": start,
        "end": end,
    }


class Writer:
    """This file's ``writer`` in a process of its own."""

    def __init__(self, rate: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), "writer", str(rate)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if line != "ready":
            self.proc.kill()
            raise Skip(f"the consent writer did not start: {line!r}")

    def stop(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"stop\n")
        self.proc.stdin.close()
        out = self.proc.stdout.read().decode()
        self.proc.wait(timeout=30)
        if self.proc.returncode != 0:
            raise Skip(f"the consent writer failed (exit {self.proc.returncode}): {out[-500:]}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _window(writes: dict[str, Any], start: float, end: float) -> dict[str, Any]:
    """The writes that started between ``start`` and ``end`` (monotonic, machine-wide)."""
    inside = [
        lat
        for began, lat in zip(writes["starts"], writes["latencies_ms"], strict=True)
        if start <= began <= end
    ]
    found = _percentiles(inside)
    found["errors"] = sum(1 for began in writes["errors"] if start <= began <= end)
    found["histogram_ms"] = _histogram(inside)
    return found


HISTOGRAM_MS = (1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250)


def _histogram(values_ms: list[float]) -> dict[str, int]:
    """How many writes took at most each bound (and more than the previous one)."""
    counts: dict[str, int] = {}
    low = 0.0
    for high in (*HISTOGRAM_MS, float("inf")):
        name = f"≤{high:g}" if high != float("inf") else f">{low:g}"
        counts[name] = sum(1 for v in values_ms if low < v <= high)
        low = high
    return counts


def _check(label: str, found: dict[str, Any], ledger: Ledger, extra: int = 0) -> None:
    if found["due_before"] != ledger.expired or found["kept_before"] != ledger.recent + extra:
        raise Skip(
            f"{label}: {found['due_before']} due and {found['kept_before']} kept before the "
            f"purge, not {ledger.expired} and {ledger.recent}(+{extra} written)"
        )


def _checked_after(label: str, found: dict[str, Any], ledger: Ledger, written: int) -> str:
    ok = (
        found["removed"] == ledger.expired
        and found["due_after"] == 0
        and found["kept_after"] == ledger.recent + written
    )
    verdict = (
        f"{found['removed']} removed, {found['due_after']} due left, {found['kept_after']} "
        f"kept ({ledger.recent} recent + {written} written)"
    )
    if not ok:
        raise Skip(f"{label}: WRONG ROWS: {verdict}")
    return verdict


def _measure() -> dict[str, Any]:
    from gardien.lib import clock
    from gardien.retention import engine

    total = _rows()
    batch = int(os.environ.get("PURGE_BENCH_BATCH") or engine.batch_size())
    ledger = Ledger(total)
    say(f'consent rule "{ledger.rule}"; batch {batch}; filling {total:,} proofs …')
    start = time.monotonic()
    ledger.fill(int(clock.now().timestamp()))
    due, kept = ledger.counts(clock.now())
    say(
        f"filled in {time.monotonic() - start:.1f} s: {due:,} due, {kept:,} not due; "
        "keeping a snapshot …"
    )
    if due != ledger.expired or kept != ledger.recent:
        raise Skip(f"the fill gave {due} due and {kept} not due")
    start = time.monotonic()
    ledger.snapshot()
    say(f"snapshot taken in {time.monotonic() - start:.1f} s")
    result: dict[str, Any] = {
        "rows": total,
        "expired": ledger.expired,
        "batch": batch,
        "rule": ledger.rule,
        "writes_per_s": _writes_per_s(),
    }

    # -- the writer alone
    rate = _writes_per_s()
    say(f"writer alone, {rate:.0f} writes/s for {_writer_seconds():.0f} s, no purge …")
    writer = Writer(rate)
    try:
        start = time.monotonic()
        time.sleep(_writer_seconds())
        end = time.monotonic()
        writes = writer.stop()
    finally:
        writer.kill()
    alone = result["writer_alone"] = _window(writes, start, end)
    say(
        f"writer alone: p50 {alone['p50']:.2f} ms, p99 {alone['p99']:.2f} ms, max "
        f"{alone['max']:.2f} ms over {alone['writes']} writes"
    )

    # -- the engine
    ledger.restore()
    say(f"engine.run(now, only='consent', batch={batch}) …")
    found = _engine(ledger, batch, timed=True)
    _check("engine", found, ledger)
    checked = _checked_after("engine", found, ledger, 0)
    timing = found["timing"]
    say(
        f"engine: {found['rate']:,.0f} rows/s ({found['seconds']:.2f} s; {checked}); "
        f"{timing['batches']} batches"
    )
    phases = timing["phase_ms_per_batch"]
    held = timing["phase_ms"]["transaction"]
    say(
        "engine, a batch on average: "
        + ", ".join(
            f"{name} {phases[key]:.2f} ms"
            for key, name in (
                ("choose", "choosing"),
                ("transaction", "transaction"),
                ("loop", "loop"),
            )
            if timing["phase_ms"][key]["writes"]
        )
        + f" (transaction p99 {held['p99']:.1f}, max {held['max']:.1f} ms); SQL statements: "
        + ", ".join(
            f"{k} {v:.2f} ms"
            for k, v in sorted(timing["ms_per_batch"].items(), key=lambda kv: -kv[1])
        )
    )
    result["engine"] = found

    # -- the bare batched DELETE
    ledger.restore()
    say(f"bare: DELETE … WHERE id IN (SELECT id … LIMIT {batch}) until nothing is left …")
    found = _bare(ledger, batch)
    _check("bare", found, ledger)
    checked = _checked_after("bare", found, ledger, 0)
    say(
        f"bare: {found['rate']:,.0f} rows/s ({found['seconds']:.2f} s; {checked}); per batch "
        f"p50 {found['batch_ms']['p50']:.2f} ms, max {found['batch_ms']['max']:.2f} ms"
    )
    result["bare"] = found
    say(f"ratio engine / bare: {result['engine']['rate'] / found['rate']:.2f}")

    # -- each with the writer
    for name, purge in (("engine", "engine_writer"), ("bare", "bare_writer")):
        ledger.restore()
        say(f"{name} + writer ({rate:.0f} writes/s) …")
        writer = Writer(rate)
        try:
            time.sleep(1)
            if name == "engine":
                found = _engine(ledger, batch, timed=False)
            else:
                found = _bare(ledger, batch)
            time.sleep(0.2)
            writes = writer.stop()
        finally:
            writer.kill()
        written = writes["written"]
        # Counted again once the writer has stopped: its last proofs are kept too.
        found["due_after"], found["kept_after"] = ledger.counts(
            dt.datetime.fromisoformat(found["now"])
        )
        _checked_after(f"{name} + writer", found, ledger, written)
        found["writer"] = _window(writes, found["start"], found["end"])
        w = found["writer"]
        say(
            f"{name} + writer: {found['rate']:,.0f} rows/s ({found['seconds']:.2f} s); writer "
            f"during it: p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms, max {w['max']:.2f} ms, "
            f"{w['over_50ms']} of {w['writes']} over 50 ms, {w['errors']} errors"
        )
        result[purge] = found
    return result


def _writer(rate: float) -> dict[str, Any]:
    """Consent proofs written as ``POST /api/consent`` writes them, ``rate`` a second, until a
    line (or the end) on standard input; each call timed."""
    from django.db import connection

    from gardien.consent import config
    from gardien.consent.services import record_choice

    payloads = []
    for lang in ("fr", "en"):
        conf = config.current(lang)
        if conf is None:
            raise Skip("no published configuration")
        for action, value in (("accept_all", True), ("refuse_all", False)):
            payloads.append(
                {
                    "consent_id": None,
                    "action": action,
                    "decisions": dict.fromkeys(conf.switched, value),
                    "version": conf.version,
                    "config_hash": conf.hash,
                    "lang": lang,
                    "gpc": False,
                }
            )
    for payload in payloads * 5:  # warm up: the connection, the statement, the caches
        record_choice(payload)
    written = len(payloads) * 5
    stop = threading.Event()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    print("ready", flush=True)
    starts: list[float] = []
    latencies: list[float] = []
    errors: list[float] = []
    period = 1 / rate
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        wait = next_at - time.monotonic()
        if wait > 0:
            stop.wait(wait)
            continue
        began = time.monotonic()
        try:
            record_choice(payloads[i % len(payloads)])
        except Exception as exc:  # a busy database, a lost connection: counted, shown
            errors.append(began)
            print(f"writer: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        else:
            written += 1
            starts.append(began)
            latencies.append((time.monotonic() - began) * 1000)
        i += 1
        next_at = max(next_at + period, time.monotonic())
    connection.close()
    return {
        "written": written,
        "starts": starts,
        "latencies_ms": [round(v, 4) for v in latencies],
        "errors": errors,
    }


def main(argv: list[str]) -> None:
    # The parent stops this process's group with SIGTERM: a clean exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    _django()
    try:
        if argv[0] == "measure":
            print("RESULT " + json.dumps(_measure()), flush=True)
        elif argv[0] == "writer":
            print(json.dumps(_writer(float(argv[1]))), flush=True)
        else:
            raise SystemExit(f"unknown command {argv[0]!r}")
    except Skip as exc:
        print(f"SKIP {exc}", flush=True)
        sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1:])
