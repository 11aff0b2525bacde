"""Consent writes: ``POST /api/consent`` under load, against a bare WSGI app doing the same INSERT.

For SQLite (a fresh file under var/bench/consent/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench``; skipped with a line when unreachable):

- Gardien: migrate, publish the Coopo policy, serve ``gardien.wsgi`` with gunicorn
  (2 sync workers, no access log), read ``/consent/config/fr.json`` to build a valid body,
  and ``wrk`` (8 connections, one per thread, bench/consent_wrk.lua) POSTs it with
  ``Origin: https://coopo.fr``;
- bare: ``bench/consent_bare_app.py`` served by the same gunicorn command on a copy of the
  migrated schema, doing only ``json.loads`` and the same single INSERT (same columns, same
  kind of values), one transaction per request, one persistent connection per worker.

Both servers run side by side; after one POST checked for 201 and a 1 s warm-up each, wrk
alternates between them in 4 rounds of 3 s per app (G B, B G, …), so that a change in the
machine's load during the run weighs on both alike. Rates and latency histograms are
summed over the rounds.

Figures: writes/s (2xx answers per second), p50 and p99 latency, each with the bare
figure as baseline; and the durability check: rows written during the run against the 2xx
answers counted by wrk (the wrk script stops each connection right after an answer, so no
request is left in flight and the two must be equal). Targets: Gardien ≥ 0.6× the bare
writes/s on SQLite, ≥ 0.5× on PostgreSQL.

wrk comes from Debian (installed with apt-get when missing, else the benchmark is skipped
with a line). ``CONSENT_BENCH_SECONDS`` changes the measured duration (default 12 s per
app, in 4 rounds; ``GARDIEN_BENCH_QUICK`` makes it 4 s). Every process started here is
stopped on any exit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench" / "consent"
WRK_SCRIPT = BENCH / "consent_wrk.lua"
TABLE = "consent_consentrecord"
ORIGIN = "https://coopo.fr"
MANIFEST = ROOT / "examples" / "coopo" / "gardien.toml"
CONNECTIONS = 8
WORKERS = 2
WARMUP_SECONDS = 1
ROUNDS = 4  # per app, alternating with the other app
TARGETS = {"sqlite": 0.6, "postgres": 0.5}
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
PG: dict[str, Any] = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DB = "gardien_bench"  # and gardien_bench_bare: a copy
COPIES = ("gardien", "bare")
# Variables of the caller's environment that would change what is measured.
SCRUBBED = (
    "SECRET_KEY",
    "GARDIEN_FIELD_KEYS",
    "GARDIEN_BLIND_INDEX_KEY",
    "GARDIEN_PRODUCTION",
    "GARDIEN_NOW",
    "GARDIEN_HTTPS",
    "SECURE_SSL_REDIRECT",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "WEB_CONCURRENCY",
    "GUNICORN_CMD_ARGS",
)


def _seconds() -> int:
    if os.environ.get("CONSENT_BENCH_SECONDS"):
        return max(1, int(os.environ["CONSENT_BENCH_SECONDS"]))
    return 4 if os.environ.get("GARDIEN_BENCH_QUICK") else 12


def log(message: str) -> None:
    print(f"  consent_throughput: {message}", flush=True)


class Skip(Exception):
    """This part cannot be measured here; the message says why."""


# --------------------------------------------------------------------------- processes


class Processes:
    """Every server started here, each in its own process group, stopped on exit."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, args: list[str], env: dict[str, str], log_file: Path
    ) -> subprocess.Popen[bytes]:
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # Workers left behind by a master that died: the group is still ours.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.running):
            self.stop(proc)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM/SIGHUP become SystemExit, so that the finally blocks stop the servers."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("      | " + line for line in text[-lines:])


def _wait_ready(
    url: str, proc: subprocess.Popen[bytes], log_file: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Skip(f"gunicorn exited with status {proc.returncode}:\n{_log_tail(log_file)}")
        try:
            _http("GET", url)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.2)
    raise Skip(f"gunicorn did not answer {url} within {timeout:.0f} s:\n{_log_tail(log_file)}")


def _gunicorn(app: str, port: int, extra: list[str] | None = None) -> list[str]:
    return [
        str(VENV_BIN / "gunicorn"),
        app,
        *(extra or []),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]


# --------------------------------------------------------------------------- wrk


def _ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if not apt or os.geteuid() != 0:
        log("SKIPPED: wrk is not installed and apt-get cannot install it here (needs root).")
        return None
    log("wrk is missing: installing it from Debian with `apt-get install -y wrk` …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in ([apt, "install", "-y", "wrk"], [apt, "update"], [apt, "install", "-y", "wrk"]):
        try:
            done = subprocess.run(step, env=env, capture_output=True, timeout=180, check=False)
        except subprocess.TimeoutExpired:
            break
        if step[1] == "install" and done.returncode == 0:
            break
    found = shutil.which("wrk")
    if not found:
        log("SKIPPED: `apt-get install -y wrk` failed; install wrk by hand to run this benchmark.")
    return found


def _run_wrk(wrk: str, url: str, body: str, seconds: int, log_file: Path) -> dict[str, Any]:
    """wrk for ``seconds`` with one connection per thread; the summary of the Lua script."""
    env = {
        **os.environ,
        "CONSENT_BODY": body,
        "CONSENT_ORIGIN": ORIGIN,
        "CONSENT_SECONDS": str(seconds),
    }
    args = [
        wrk,
        f"-t{CONNECTIONS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds + 10}s",  # a hard limit only: the script stops every thread at `seconds`
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=out, start_new_session=True
        )
        try:
            # The threads stop themselves after `seconds`; wrk itself sleeps until -d, so
            # SIGINT (its own "stop now") ends it once every thread has had time to stop.
            time.sleep(seconds + 1.5)
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            stdout, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    text = stdout.decode(errors="replace")
    out_lines = [line for line in text.splitlines() if line.startswith("CONSENT_RESULT ")]
    if not out_lines:
        raise Skip(f"wrk gave no result (exit {proc.returncode}):\n{text[-2000:]}")
    result: dict[str, Any] = json.loads(out_lines[-1].removeprefix("CONSENT_RESULT "))
    result["rate"] = result["ok"] / result["elapsed"]
    result["wrk_output"] = text
    return result


# --------------------------------------------------------------------------- databases


def _pg_connect(dbname: str = "postgres", **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(**PG, dbname=dbname, connect_timeout=3, **kwargs)


def _pg_recreate(*names: str, create: bool = True) -> None:
    with _pg_connect(autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{names[0]}"')


class Database:
    """One database under test, for Gardien; and copies of it for the other apps."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.var_dir = WORK / kind
        self.url = self.url_of("gardien")
        self.path = self.var_dir / "gardien.sqlite3"

    def url_of(self, copy: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.var_dir / f'{copy}.sqlite3'}"
        return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{self._pg_name(copy)}"

    @staticmethod
    def _pg_name(copy: str) -> str:
        return PG_DB if copy == "gardien" else f"{PG_DB}_{copy}"

    def prepare(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)
        self.var_dir.mkdir(parents=True)
        if self.kind == "postgres":
            try:
                _pg_recreate(*(self._pg_name(c) for c in COPIES))
            except Exception as exc:
                raise Skip(
                    f"PostgreSQL is not reachable on {PG['host']}:{PG['port']} as user "
                    f"{PG['user']} ({type(exc).__name__}: {str(exc).strip().splitlines()[0]})"
                ) from None

    def copy_to(self, copy: str) -> None:
        """Another app writes into a copy of the migrated and published schema."""
        if self.kind == "sqlite":
            target = self.var_dir / f"{copy}.sqlite3"
            with sqlite3.connect(self.path) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            return
        with _pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name(copy)}"')
            conn.execute(f'CREATE DATABASE "{self._pg_name(copy)}" TEMPLATE "{PG_DB}"')

    def connect(self, copy: str = "gardien") -> Any:
        if self.kind == "sqlite":
            return sqlite3.connect(self.var_dir / f"{copy}.sqlite3")
        return _pg_connect(self._pg_name(copy))

    def count(self, copy: str = "gardien") -> int:
        conn = self.connect(copy)
        try:
            row = conn.execute(f'SELECT COUNT(*) FROM "{TABLE}"').fetchone()
            return int(row[0])
        finally:
            conn.close()

    def drop(self) -> None:
        if self.kind == "postgres":
            with contextlib.suppress(Exception):
                _pg_recreate(*(self._pg_name(c) for c in COPIES), create=False)

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


def _bare_spec(db: Database, body: dict[str, Any]) -> dict[str, Any]:
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


# --------------------------------------------------------------------------- one app


def _env(db: Database, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(
        {
            "GARDIEN_VAR_DIR": str(db.var_dir),
            "DATABASE_URL": db.url,
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "GARDIEN_MANIFEST": str(MANIFEST),
            "DJANGO_SETTINGS_MODULE": "gardien.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _gardien(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "gardien"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise Skip(f"`gardien {' '.join(args)}` failed:\n{(done.stdout + done.stderr)[-2000:]}")


def _body_from_config(base: str) -> dict[str, Any]:
    status, raw = _http("GET", f"{base}/consent/config/fr.json")
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


class Server:
    """One app under gunicorn, checked with one POST; wrk rounds against it add up."""

    def __init__(self, name: str, db: Database) -> None:
        self.name, self.db = name, db
        self.log_file = db.var_dir / f"{name}.log"
        self.rounds: list[dict[str, Any]] = []
        self.rows_before = 0
        self.rows = 0

    def start(
        self,
        procs: Processes,
        args: list[str],
        env: dict[str, str],
        port: int,
        ready_path: str,
        body: dict[str, Any] | None,
    ) -> dict[str, Any]:
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/api/consent"
        label = LABELS[self.db.kind]
        log(f"{label}: starting {args[1]} (gunicorn, {WORKERS} workers) on {self.base}")
        self.proc = procs.start(args, env, self.log_file)
        _wait_ready(self.base + ready_path, self.proc, self.log_file)
        if body is None:
            body = _body_from_config(self.base)
        self.payload = json.dumps(body, separators=(",", ":"))
        headers = {"Content-Type": "application/json", "Origin": ORIGIN}
        status, answer = _http("POST", self.url, self.payload.encode(), headers)
        if status != 201:
            raise Skip(
                f"{self.name}: POST /api/consent answered {status} instead of 201: "
                f"{answer[:300].decode(errors='replace')}"
            )
        return body

    def wrk(self, wrk: str, seconds: int, measured: bool = True) -> None:
        result = _run_wrk(wrk, self.url, self.payload, seconds, self.log_file)
        if measured:
            self.rounds.append(result)

    def summary(self) -> dict[str, Any]:
        ok = sum(r["ok"] for r in self.rounds)
        elapsed = sum(r["elapsed"] for r in self.rounds)
        hist: dict[int, int] = {}
        for r in self.rounds:
            for pair in r["hist"].split():
                value, count = pair.split(":")
                hist[int(value)] = hist.get(int(value), 0) + int(count)
        return {
            "ok": ok,
            "other": sum(r["other"] for r in self.rounds),
            "errors": sum(
                r[k]
                for r in self.rounds
                for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            ),
            "codes": " ".join(r["codes"].strip() for r in self.rounds).strip(),
            "sample": next((r["sample"] for r in self.rounds if r["sample"]), ""),
            "clean_stop": all(r["clean_stop"] for r in self.rounds),
            "rate": ok / elapsed if elapsed else 0.0,
            "round_rates": [r["rate"] for r in self.rounds],
            "p50_ms": _percentile(hist, 50) / 1000,
            "p99_ms": _percentile(hist, 99) / 1000,
        }


def _percentile(hist: dict[int, int], p: float) -> float:
    """wrk's own definition, over a merged histogram of µs values."""
    total = sum(hist.values())
    if not total:
        return 0.0
    rank = round(p / 100 * total + 0.5)
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return float(max(hist))


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _bench_database(wrk: str, procs: Processes, kind: str) -> list[dict[str, Any]]:
    db = Database(kind)
    label = LABELS[kind]
    db.prepare()
    seconds = _seconds()
    rounds = ROUNDS if seconds >= 2 * ROUNDS else 2
    per_round = max(1, round(seconds / rounds))
    try:
        port = _free_port()
        env = _env(db, port)
        log(f"{label}: fresh database, `gardien secrets init`, `migrate`, `policy publish` …")
        _gardien(env, "secrets", "init")
        _gardien(env, "migrate", "--noinput", "--verbosity", "0")
        _gardien(env, "policy", "publish", "--note", "bench")
        db.copy_to("bare")
        gardien = Server("gardien", db)
        body = gardien.start(
            procs, _gunicorn("gardien.wsgi", port), env, port, "/consent/config/fr.json", None
        )
        # The bare app's constant values come from the row Gardien just wrote.
        spec = _bare_spec(db, body)
        described = ", ".join(
            f"{c[0]}={c[1]}" + (f"({c[2]})" if c[1] in ("body", "hex", "token") else "")
            for c in spec["columns"]
        )
        log(f"{label}: bare: INSERT INTO {TABLE} with {described}")
        bare_port = _free_port()
        bare_env = {
            **{k: v for k, v in os.environ.items() if k not in SCRUBBED},
            "CONSENT_BARE_DB": db.url_of("bare"),
            "CONSENT_BARE_SPEC": json.dumps(spec),
        }
        bare = Server("bare", db)
        bare.start(
            procs,
            _gunicorn("consent_bare_app:application", bare_port, ["--pythonpath", str(BENCH)]),
            bare_env,
            bare_port,
            "/",
            body,
        )
        servers = [gardien, bare]
        for server in servers:
            server.wrk(wrk, WARMUP_SECONDS, measured=False)
            server.rows_before = db.count(server.name)
        # Alternate the apps (G B, B G, …) so that a change in the machine's load while the
        # benchmark runs weighs on both alike.
        log(
            f"{label}: wrk, {CONNECTIONS} connections, {rounds} rounds of {per_round} s per app, "
            f"alternating (load average before: {_loadavg()}) …"
        )
        for i in range(rounds):
            for server in servers if i % 2 == 0 else servers[::-1]:
                server.wrk(wrk, per_round)
        log(f"{label}: load average after: {_loadavg()}")
        for server in servers:
            procs.stop(server.proc)
            server.rows = db.count(server.name) - server.rows_before
        results = {}
        for server in servers:
            r = results[server.name] = server.summary()
            log(
                f"{label}: {server.name}: {r['rate']:.0f} writes/s (rounds: "
                + ", ".join(f"{x:.0f}" for x in r["round_rates"])
                + f"), p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['ok']} × 2xx, "
                f"{r['other']} other answers, {server.rows} rows written"
                + ("" if r["clean_stop"] else " (a connection did not stop cleanly)")
            )
            if r["other"] or r["errors"]:
                log(
                    f"{label}: {server.name}: non-2xx codes {r['codes'] or '-'}; socket errors "
                    f"{r['errors']}; first non-2xx answer: {r['sample'][:200]}"
                )
    finally:
        procs.stop_all()
        db.drop()
    g, b = results["gardien"], results["bare"]
    ratio = g["rate"] / b["rate"] if b["rate"] else 0.0
    durable = gardien.rows == g["ok"]
    log(
        f"{label}: durable: {gardien.rows} rows for {g['ok']} × 2xx "
        f"({'equal' if durable else 'DIFFERENT'}; bare: {bare.rows} rows for {b['ok']} × 2xx); "
        f"ratio {ratio:.2f} (target ≥ {TARGETS[kind]})"
        + ("" if durable else " — DURABILITY CHECK FAILED")
    )
    return [
        {
            "name": f"consent writes/s ({label})",
            "value": g["rate"],
            "unit": "writes/s",
            "baseline": b["rate"],
        },
        {
            "name": f"p50 latency ({label})",
            "value": g["p50_ms"],
            "unit": "ms",
            "baseline": b["p50_ms"],
        },
        {
            "name": f"p99 latency ({label})",
            "value": g["p99_ms"],
            "unit": "ms",
            "baseline": b["p99_ms"],
        },
        {
            "name": f"durable 2xx ({label})",
            "value": gardien.rows,
            "unit": "rows",
            "baseline": g["ok"],
        },
    ]


def run() -> list[dict[str, Any]]:
    wrk = _ensure_wrk()
    if wrk is None:
        return []
    WORK.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    rows: list[dict[str, Any]] = []
    verdicts = []
    with _terminate_as_exit():
        try:
            for kind in ("sqlite", "postgres"):
                try:
                    found = _bench_database(wrk, procs, kind)
                except Skip as exc:
                    log(f"{LABELS[kind]}: SKIPPED: {exc}")
                    verdicts.append(f"{LABELS[kind]} not measured")
                    continue
                rows.extend(found)
                rate, durable = found[0], found[3]
                ratio = rate["value"] / rate["baseline"]
                target = TARGETS[kind]
                verdicts.append(
                    f"{LABELS[kind]} {ratio:.2f}× of bare (target ≥ {target}: "
                    f"{'met' if ratio >= target else 'SHORT'}; every 2xx durable: "
                    f"{'yes' if durable['value'] == durable['baseline'] else 'NO'})"
                )
        except (KeyboardInterrupt, SystemExit):
            log("interrupted: stopping every server started here")
            raise
        finally:
            procs.stop_all()
    print(f"consent throughput: {'; '.join(verdicts)}", flush=True)
    return rows
