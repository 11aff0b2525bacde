"""Audience writes: ``POST /api/audience`` under load, against a bare WSGI app doing one INSERT
per page view.

For SQLite (a fresh file under var/bench/audience/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench_audience``, or ``AUDIENCE_BENCH_PG_DB``;
skipped with a line when unreachable):

- Gardien: migrate, publish the Coopo policy (its ``[audience]`` section), allow the
  origin ``https://coopo.fr`` (``gardien site add-origin``), serve
  ``gardien.wsgi`` with gunicorn (2 workers of ``AUDIENCE_BENCH_THREADS`` threads, 4 by
  default, no access log), and ``wrk`` (8 connections, bench/wrk_post.lua) POSTs page views
  with ``Origin: https://coopo.fr`` and a browser's user agent. Each request names a page
  of its own (WRK_UNIQUE), so none is dropped as a reload; the limit per address is set out
  of reach (its check still runs). Gardien groups the page views that arrive together into
  one transaction (gardien/audience/batch.py), which is why the workers have threads:
  with one request per worker at a time there is nothing to group;
- bare: ``bench/audience_bare_app.py`` served by the same gunicorn command on a copy of the
  migrated schema, doing only ``json.loads``, splitting the URL and one INSERT into
  ``audience_pageview``, one transaction per request, one connection per thread.

Both run side by side; wrk alternates between them (G B, B G, …) as for the consent and
contact benchmarks (bench/_serving.py). Figures: page views/s (2xx answers per second),
p50 and p99 latency, each with the bare figure as baseline, and the durability check (rows
written against 2xx answers: an acknowledged page view is committed). Target: Gardien
≥ 1.0× the bare page views/s on both databases.

``AUDIENCE_BENCH_SECONDS`` changes the measured duration (default 12 s per app, in 4
rounds; ``GARDIEN_BENCH_QUICK`` makes it 4 s).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    BENCH,
    LABELS,
    Database,
    Processes,
    Server,
    Skip,
    alternate,
    clean_environ,
    figures,
    free_port,
    gardien_env,
    gunicorn,
    http,
    prepare_gardien,
    rounds_for,
    run_on_each_database,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "audience"
TABLE = "audience_pageview"
ORIGIN = "https://coopo.fr"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
MARKER = "UNIQUEPAGE"
BODY = json.dumps(
    {
        "url": f"{ORIGIN}/actualites/{MARKER}",
        "referrer": "https://duckduckgo.com/",
        "screen": "mobile",
        "lang": "fr",
        "visitor": "abcdefghijklmnopqrstuv",
    },
    separators=(",", ":"),
)
ROUNDS = 4
TARGETS = {"sqlite": 1.0, "postgres": 1.0}
PG_DB = os.environ.get("AUDIENCE_BENCH_PG_DB", "gardien_bench_audience")
OUT_OF_REACH = "1000000000/1"


def _seconds() -> int:
    if os.environ.get("AUDIENCE_BENCH_SECONDS"):
        return max(1, int(os.environ["AUDIENCE_BENCH_SECONDS"]))
    return 4 if os.environ.get("GARDIEN_BENCH_QUICK") else 12


def _threads() -> list[str]:
    return ["--threads", os.environ.get("AUDIENCE_BENCH_THREADS", "4")]


def log(message: str) -> None:
    print(f"  audience_throughput: {message}", flush=True)


class PageViews(Server):
    """A server answering 204 to a page view (the shared check expects the consent API's 201)."""

    def check(self, payload: str, sample: str | None = None) -> bytes:
        self.payload = payload
        headers = {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": AGENT}
        sent = (sample or payload).replace(MARKER, "check").encode()
        status, answer = http("POST", self.url, sent, headers)
        if status != 204:
            raise Skip(
                f"{self.name}: POST {self.path} answered {status} instead of 204: "
                f"{answer[:300].decode(errors='replace')}"
            )
        return answer


def _bench_database(wrk: str, procs: Processes, kind: str) -> list[dict[str, Any]]:
    db = Database(kind, WORK, table=TABLE, pg_db=PG_DB)
    label = LABELS[kind]
    db.prepare()
    rounds, per_round = rounds_for(_seconds(), ROUNDS)
    wrk_env = {"WRK_ORIGIN": ORIGIN, "WRK_USER_AGENT": AGENT, "WRK_UNIQUE": MARKER}
    try:
        port = free_port()
        env = gardien_env(db, port, GARDIEN_AUDIENCE_RATE_LIMIT=OUT_OF_REACH)
        prepare_gardien(db, env, label, log)  # allows ORIGIN, Coopo's site
        db.copy_to("bare")
        gardien = PageViews("gardien", db, "/api/audience", wrk_env, log)
        args = gunicorn("gardien.wsgi", port, _threads())
        gardien.start(procs, args, env, port, "/consent/config/fr.json")
        gardien.check(BODY)
        bare_port = free_port()
        bare_env = {**clean_environ(), "AUDIENCE_BARE_DB": db.url_of("bare")}
        bare = PageViews("bare", db, "/api/audience", wrk_env, log)
        bare_args = gunicorn(
            "audience_bare_app:application", bare_port, ["--pythonpath", str(BENCH), *_threads()]
        )
        bare.start(procs, bare_args, bare_env, bare_port, "/")
        bare.check(BODY)
        log(f"{label}: both served by 2 gunicorn workers × {_threads()[1]} threads")
        results = alternate(wrk, procs, [gardien, bare], rounds, per_round, "page views/s", log)
    finally:
        procs.stop_all()
        db.drop()
    return figures(
        "audience page views/s", "page views/s", label, gardien, bare, results, TARGETS[kind], log
    )


def run() -> list[dict[str, Any]]:
    return run_on_each_database("audience throughput", WORK, _bench_database, TARGETS, log)
