"""What the write-throughput benchmarks share: serving Gardien and a bare app side by side
under gunicorn, preparing their databases, and loading them with wrk in alternating rounds.

Used by bench/bench_consent_throughput.py and bench/bench_contact_throughput.py::

    procs = Processes()
    db = Database("sqlite", WORK, table="consent_consentrecord", pg_db="gardien_bench")
    db.prepare()                                   # a fresh file, or fresh PostgreSQL databases
    env = gardien_env(db, port)
    gardien_command(env, "migrate", "--noinput")   # `gardien …` against that database
    db.copy_to("bare")                             # the bare app writes into a copy
    server = Server("gardien", db, "/api/consent", origin, log)
    server.start(procs, gunicorn("gardien.wsgi", port), env, port, "/ready/path")
    server.check(body)                             # one POST answered 201, or Skip
    results = alternate(wrk, [gardien, bare], rounds, per_round, label, log)

Each app is served by the same gunicorn command (WORKERS sync workers, no access log); wrk
(CONNECTIONS connections, one per thread, bench/wrk_post.lua) stops every connection right
after an answer once the time is up, so the rows written can be compared with the 2xx
answers counted; they are counted round by round, so that two servers writing into one
database (the same app measured two ways) each get their own. Every process started here
is stopped on any exit (``stop_all`` in a ``finally``, SIGTERM and SIGHUP turned into
SystemExit by ``terminate_as_exit``).
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
WRK_SCRIPT = BENCH / "wrk_post.lua"
MANIFEST = ROOT / "examples" / "coopo" / "gardien.toml"
CONNECTIONS = 8
WORKERS = 2
WARMUP_SECONDS = 1
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
PG: dict[str, Any] = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
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

Log = Callable[[str], None]


class Skip(Exception):
    """This part cannot be measured here; the message says why."""


def clean_environ() -> dict[str, str]:
    """The caller's environment without the variables that would change what is measured."""
    return {k: v for k, v in os.environ.items() if k not in SCRUBBED}


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
def terminate_as_exit() -> Iterator[None]:
    """SIGTERM/SIGHUP become SystemExit, so that the finally blocks stop the servers."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("      | " + line for line in text[-lines:])


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log_file: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Skip(f"gunicorn exited with status {proc.returncode}:\n{log_tail(log_file)}")
        try:
            http("GET", url)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.2)
    raise Skip(f"gunicorn did not answer {url} within {timeout:.0f} s:\n{log_tail(log_file)}")


def gunicorn(app: str, port: int, extra: list[str] | None = None) -> list[str]:
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


def bare_gunicorn(module: str, port: int) -> list[str]:
    """The same gunicorn command for a bare app ``bench/<module>.py`` (``application``)."""
    return gunicorn(f"{module}:application", port, ["--pythonpath", str(BENCH)])


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- wrk


def ensure_wrk(log: Log) -> str | None:
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


def run_wrk(
    wrk: str, url: str, body: str, seconds: int, log_file: Path, extra_env: dict[str, str]
) -> dict[str, Any]:
    """wrk for ``seconds`` with one connection per thread; the summary of bench/wrk_post.lua.

    ``extra_env`` sets the script's other variables: WRK_ORIGIN, and for a body that must
    differ on each request WRK_UNIQUE, WRK_RUN and WRK_FORWARDED (see the script)."""
    env = {**os.environ, **extra_env, "WRK_BODY": body, "WRK_SECONDS": str(seconds)}
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
    out_lines = [line for line in text.splitlines() if line.startswith("WRK_RESULT ")]
    if not out_lines:
        raise Skip(f"wrk gave no result (exit {proc.returncode}):\n{text[-2000:]}")
    result: dict[str, Any] = json.loads(out_lines[-1].removeprefix("WRK_RESULT "))
    result["rate"] = result["ok"] / result["elapsed"]
    result["wrk_output"] = text
    return result


def percentile(hist: dict[int, int], p: float) -> float:
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


# --------------------------------------------------------------------------- databases


def pg_connect(dbname: str = "postgres", **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(**PG, dbname=dbname, connect_timeout=3, **kwargs)


def pg_recreate(*names: str, create: bool = True) -> None:
    with pg_connect(autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{names[0]}"')


class Database:
    """One database under test, for Gardien, and a copy of it per other app (COPIES).

    SQLite: files ``<copy>.sqlite3`` under ``work/sqlite``; PostgreSQL (PG): databases
    ``pg_db`` (Gardien's) and ``<pg_db>_<copy>``, dropped at the end. ``table`` is the table
    whose rows are counted against the 2xx answers."""

    def __init__(self, kind: str, work: Path, *, table: str, pg_db: str) -> None:
        self.kind = kind
        self.table = table
        self.pg_db = pg_db
        self.var_dir = work / kind
        self.url = self.url_of("gardien")
        self.path = self.var_dir / "gardien.sqlite3"

    def url_of(self, copy: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.var_dir / f'{copy}.sqlite3'}"
        return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{self._pg_name(copy)}"

    def _pg_name(self, copy: str) -> str:
        return self.pg_db if copy == "gardien" else f"{self.pg_db}_{copy}"

    def prepare(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)
        self.var_dir.mkdir(parents=True)
        if self.kind == "postgres":
            try:
                pg_recreate(*(self._pg_name(c) for c in COPIES))
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
        with pg_connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name(copy)}"')
            conn.execute(f'CREATE DATABASE "{self._pg_name(copy)}" TEMPLATE "{self.pg_db}"')

    def connect(self, copy: str = "gardien") -> Any:
        if self.kind == "sqlite":
            return sqlite3.connect(self.var_dir / f"{copy}.sqlite3")
        return pg_connect(self._pg_name(copy))

    def count(self, copy: str = "gardien", table: str | None = None) -> int:
        conn = self.connect(copy)
        try:
            row = conn.execute(f'SELECT COUNT(*) FROM "{table or self.table}"').fetchone()
            return int(row[0])
        finally:
            conn.close()

    def drop(self) -> None:
        if self.kind == "postgres":
            with contextlib.suppress(Exception):
                pg_recreate(*(self._pg_name(c) for c in COPIES), create=False)


# --------------------------------------------------------------------------- Gardien


def gardien_env(db: Database, port: int, **settings: str) -> dict[str, str]:
    """The environment of ``gardien`` commands and of gunicorn serving Gardien on ``port``,
    against ``db``, with the Coopo manifest; ``settings`` add or change variables."""
    env = clean_environ()
    env.update(
        {
            "GARDIEN_VAR_DIR": str(db.var_dir),
            "DATABASE_URL": db.url,
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "GARDIEN_MANIFEST": str(MANIFEST),
            "DJANGO_SETTINGS_MODULE": "gardien.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
            **settings,
        }
    )
    return env


def gardien_command(env: dict[str, str], *args: str) -> None:
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


#: Coopo's sites, allowed to call Gardien as `gardien demo setup` allows them (site settings,
#: apart from the policy): the benches' requests come from the first.
SITE_ORIGINS = ("https://coopo.fr", "https://www.coopo.fr")


def prepare_gardien(db: Database, env: dict[str, str], label: str, log: Log) -> None:
    """A fresh database with Gardien's secrets, schema, published Coopo policy and Coopo's
    sites allowed."""
    log(f"{label}: fresh database, `gardien secrets init`, `migrate`, `policy publish` …")
    gardien_command(env, "secrets", "init")
    gardien_command(env, "migrate", "--noinput", "--verbosity", "0")
    gardien_command(env, "policy", "publish", "--yes", "--note", "bench")
    for origin in SITE_ORIGINS:
        gardien_command(env, "site", "add-origin", origin)


# --------------------------------------------------------------------------- one app


class Server:
    """One app under gunicorn, checked with one POST; wrk rounds against it add up."""

    def __init__(
        self, name: str, db: Database, path: str, wrk_env: dict[str, str], log: Log
    ) -> None:
        self.name, self.db, self.path, self.log = name, db, path, log
        self.wrk_env = wrk_env  # WRK_ORIGIN and the like, for every round
        self.log_file = db.var_dir / f"{name}.log"
        self.rounds: list[dict[str, Any]] = []
        self.runs = 0
        self.copy = name  # the database it writes into (Database.COPIES)
        self.rows = 0  # written during the measured rounds

    def start(
        self,
        procs: Processes,
        args: list[str],
        env: dict[str, str],
        port: int,
        ready_path: str,
    ) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + self.path
        self.log(
            f"{LABELS[self.db.kind]}: starting {args[1]} (gunicorn, {WORKERS} workers) "
            f"on {self.base}"
        )
        self.proc = procs.start(args, env, self.log_file)
        wait_ready(self.base + ready_path, self.proc, self.log_file)

    def check(self, payload: str, sample: str | None = None) -> bytes:
        """One POST of ``sample`` (default: the payload itself) must be answered 201; the
        payload is what wrk sends."""
        self.payload = payload
        headers = {"Content-Type": "application/json", "Origin": self.wrk_env["WRK_ORIGIN"]}
        sent = (sample or payload).encode()
        status, answer = http("POST", self.url, sent, headers)
        if status != 201:
            raise Skip(
                f"{self.name}: POST {self.path} answered {status} instead of 201: "
                f"{answer[:300].decode(errors='replace')}"
            )
        return answer

    def wrk(self, wrk: str, seconds: int, measured: bool = True) -> None:
        self.runs += 1  # the script's WRK_RUN: bodies and addresses differ from round to round
        extra = {**self.wrk_env, "WRK_RUN": str(self.runs)}
        before = self.db.count(self.copy) if measured else 0
        result = run_wrk(wrk, self.url, self.payload, seconds, self.log_file, extra)
        if measured:
            # wrk leaves no request in flight: every row of the round is committed by now.
            self.rows += self.db.count(self.copy) - before
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
            "p50_ms": percentile(hist, 50) / 1000,
            "p99_ms": percentile(hist, 99) / 1000,
        }


def rounds_for(seconds: int, rounds: int) -> tuple[int, int]:
    """How many rounds per app, and how long each, for ``seconds`` measured per app."""
    count = rounds if seconds >= 2 * rounds else 2
    return count, max(1, round(seconds / count))


def alternate(
    wrk: str,
    procs: Processes,
    servers: list[Server],
    rounds: int,
    per_round: int,
    unit: str,
    log: Log,
) -> dict[str, dict[str, Any]]:
    """Warm each server up, then wrk them in turn (A B, B A, …) so that a change in the
    machine's load while the benchmark runs weighs on all alike, then stop them. Each
    server's summary, by name."""
    label = LABELS[servers[0].db.kind]
    for server in servers:
        server.wrk(wrk, WARMUP_SECONDS, measured=False)
    log(
        f"{label}: wrk, {CONNECTIONS} connections, {rounds} rounds of {per_round} s per app, "
        f"alternating (load average before: {loadavg()}) …"
    )
    for i in range(rounds):
        for server in servers if i % 2 == 0 else servers[::-1]:
            server.wrk(wrk, per_round)
    log(f"{label}: load average after: {loadavg()}")
    for server in servers:
        procs.stop(server.proc)
    results = {}
    for server in servers:
        r = results[server.name] = server.summary()
        log(
            f"{label}: {server.name}: {r['rate']:.0f} {unit} (rounds: "
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
    return results


def figures(
    what: str,
    unit: str,
    label: str,
    gardien: Server,
    bare: Server,
    results: dict[str, dict[str, Any]],
    target: float,
    log: Log,
) -> list[dict[str, Any]]:
    """The rows bench/run.py prints: rate, p50, p99 with the bare figures as baselines, and
    the durability check (rows Gardien wrote against its 2xx answers)."""
    g, b = results[gardien.name], results[bare.name]
    ratio = g["rate"] / b["rate"] if b["rate"] else 0.0
    durable = gardien.rows == g["ok"]
    log(
        f"{label}: durable: {gardien.rows} rows for {g['ok']} × 2xx "
        f"({'equal' if durable else 'DIFFERENT'}; bare: {bare.rows} rows for {b['ok']} × 2xx); "
        f"ratio {ratio:.2f} (target ≥ {target})" + ("" if durable else " — DURABILITY CHECK FAILED")
    )
    return [
        {"name": f"{what} ({label})", "value": g["rate"], "unit": unit, "baseline": b["rate"]},
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


def verdict(label: str, found: list[dict[str, Any]], target: float) -> str:
    """One line per database for the benchmark's closing line."""
    rate, durable = found[0], found[3]
    ratio = rate["value"] / rate["baseline"]
    return (
        f"{label} {ratio:.2f}× of bare (target ≥ {target}: "
        f"{'met' if ratio >= target else 'SHORT'}; every 2xx durable: "
        f"{'yes' if durable['value'] == durable['baseline'] else 'NO'})"
    )


def run_on_each_database(
    title: str,
    work: Path,
    bench_database: Callable[[str, Processes, str], list[dict[str, Any]]],
    targets: dict[str, float],
    log: Log,
) -> list[dict[str, Any]]:
    """A throughput benchmark's ``run()``: ``bench_database(wrk, procs, kind)`` on SQLite,
    then PostgreSQL (a database it cannot reach is a line saying so), every server stopped
    on any exit, and one summary line."""
    wrk = ensure_wrk(log)
    if wrk is None:
        return []
    work.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    rows: list[dict[str, Any]] = []
    verdicts = []
    with terminate_as_exit():
        try:
            for kind in ("sqlite", "postgres"):
                try:
                    found = bench_database(wrk, procs, kind)
                except Skip as exc:
                    log(f"{LABELS[kind]}: SKIPPED: {exc}")
                    verdicts.append(f"{LABELS[kind]} not measured")
                    continue
                rows.extend(found)
                verdicts.append(verdict(LABELS[kind], found, targets[kind]))
        except (KeyboardInterrupt, SystemExit):
            log("interrupted: stopping every server started here")
            raise
        finally:
            procs.stop_all()
    print(f"{title}: {'; '.join(verdicts)}", flush=True)
    return rows
