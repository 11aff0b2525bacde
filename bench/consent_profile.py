"""Where the time of one ``POST /api/consent`` goes, in one process, without the network.

    .venv/bin/python bench/consent_profile.py [--db sqlite|postgres] [--requests N]

Prepares a fresh database (var/bench/consent/profile/, or the PostgreSQL database
``gardien_bench_profile`` on 127.0.0.1:5432, dropped at the end), migrates it, publishes
the Coopo policy, then calls Gardien's WSGI application directly with the same environ
gunicorn would build (``Origin: https://coopo.fr``) and reports:

1. the mean time of one request through the whole WSGI application, and of the bare
   equivalent (``json.loads`` + the same INSERT with the driver, one transaction);
2. the cost of each middleware: timers put between the middleware record the CPU time
   spent inside each, so a middleware's own cost is its span minus the next one's, both
   measured in the same requests (robust to a busy machine);
3. the cost of the view alone, of the ORM insert alone (``ConsentRecord.objects.create``
   in ``transaction.atomic``) and of Django's request/response machinery;
4. a cProfile of N requests through the whole application: the top functions by own time
   and by cumulative time.

A diagnosis helper for bench_consent_throughput.py; nothing here is a pass/fail figure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "consent" / "profile"
ORIGIN = "https://coopo.fr"
PG_DB = "gardien_bench_profile"


def _prepare(kind: str) -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    os.environ["GARDIEN_VAR_DIR"] = str(WORK)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["SITE_URL"] = "http://127.0.0.1:8000"
    os.environ.setdefault("LOG_LEVEL", "INFO")
    for name in ("GARDIEN_PRODUCTION", "GARDIEN_NOW", "DEBUG", "SECRET_KEY"):
        os.environ.pop(name, None)
    if kind == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'gardien.sqlite3'}"
    else:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    from gardien.lib import secrets

    secrets.ensure(WORK / "secrets.json")
    os.environ["DJANGO_SETTINGS_MODULE"] = "gardien.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("policy", "publish", "--note", "profile", stdout=io.StringIO())


def _environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/consent",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ORIGIN": ORIGIN,
        "HTTP_USER_AGENT": "wrk",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _body() -> bytes:
    from django.test import Client

    answer = Client(HTTP_HOST="127.0.0.1:8000").get("/consent/config/fr.json")
    assert answer.status_code == 200, answer.status_code
    config = json.loads(answer.content)
    decisions = {
        p["id"]: True
        for p in config["purposes"]
        if p.get("consent") in ("required", "exempt_with_opt_out")
    }
    body = {
        "consent_id": None,
        "action": "accept_all",
        "decisions": decisions,
        "version": config["version"],
        "config_hash": config["hash"],
        "lang": "fr",
        "gpc": False,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _call(app: Callable[..., Any], body: bytes) -> str:
    status: list[str] = []

    def start_response(s: str, _headers: list[tuple[str, str]], _exc: Any = None) -> None:
        status.append(s)

    result = app(_environ(body), start_response)
    for _chunk in result:
        pass
    if hasattr(result, "close"):
        result.close()
    return status[0]


def _mean_us(fn: Callable[[], Any], n: int, rounds: int = 9) -> float:
    """The best over rounds of the mean CPU time (user + system) of n calls, in µs.

    CPU time, not wall time, and the best round, not the mean: on a shared machine the
    wall time mostly measures the neighbours; the least disturbed round is the cost.
    """
    for _ in range(min(50, n)):
        fn()
    means = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        means.append((time.process_time() - t0) / n * 1e6)
    return min(means)


def _handler(middleware: list[str]) -> Any:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    saved = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = saved


# Timers put between the middleware: each records the CPU time spent inside it, so the
# time of middleware i is span(timer i) - span(timer i+1), measured in the same requests.
_SPANS: list[int] = []


def _timer(index: int) -> type:
    class Timer:
        def __init__(self, get_response: Callable[[Any], Any]) -> None:
            self.get_response = get_response

        def __call__(self, request: Any) -> Any:
            t0 = time.thread_time_ns()
            response = self.get_response(request)
            _SPANS[index] += time.thread_time_ns() - t0
            return response

    Timer.__name__ = Timer.__qualname__ = f"Timer{index}"
    return Timer


def _timed_spans(body: bytes, requests: int) -> list[tuple[str, float]]:
    from django.conf import settings

    module = sys.modules[__name__]
    stack = list(settings.MIDDLEWARE)
    timed: list[str] = []
    for i, name in enumerate(stack):
        setattr(module, f"Timer{i}", _timer(i))
        timed += [f"{__name__}.Timer{i}", name]
    setattr(module, f"Timer{len(stack)}", _timer(len(stack)))
    timed.append(f"{__name__}.Timer{len(stack)}")
    _SPANS[:] = [0] * (len(stack) + 1)
    handler = _handler(timed)
    for _ in range(50):
        _call(handler, body)
    # The least disturbed of 5 rounds (a busy machine inflates some rounds).
    best: tuple[int, list[int]] | None = None
    per_round = max(100, requests // 5)
    for _ in range(5):
        _SPANS[:] = [0] * (len(stack) + 1)
        total = 0
        for _ in range(per_round):
            t0 = time.thread_time_ns()
            _call(handler, body)
            total += time.thread_time_ns() - t0
        if best is None or total < best[0]:
            best = (total, list(_SPANS))
    assert best is not None
    total, spans = best
    requests = per_round
    per = [x / requests / 1000 for x in spans]
    rows = [
        (
            "WSGIHandler outside the middleware (request, signals, close)",
            total / requests / 1000 - per[0],
        )
    ]
    rows += [(f"{name}", per[i] - per[i + 1]) for i, name in enumerate(stack)]
    rows.append(("URL resolution + view + response (inside all middleware)", per[-1]))
    rows.append(("total (with 12 timers, ~1 µs each)", total / requests / 1000))
    return rows


def _bare_insert(kind: str, body: bytes) -> Callable[[], None]:
    """json.loads + the same INSERT with the bare driver, one transaction (the bare app)."""
    import datetime as dt
    import secrets as rnd

    from django.conf import settings

    sql = (
        "INSERT INTO consent_consentrecord (consent_id, recorded_at, action, decisions, "
        "policy_version, config_hash, lang, gpc) VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
    )
    if kind == "sqlite":
        path = str(settings.DATABASES["default"]["NAME"])
        conn: Any = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=20000")
        sql = sql.format("?")
    else:
        import psycopg

        conn = psycopg.connect(host="127.0.0.1", user="postgres", dbname=PG_DB)
        sql = sql.format("%s")

    def insert() -> None:
        data = json.loads(body)
        now = dt.datetime.now(dt.UTC)
        values = (
            rnd.token_urlsafe(16),
            now.replace(tzinfo=None).isoformat(" ") if kind == "sqlite" else now,
            data["action"],
            json.dumps(data["decisions"]),
            data["version"],
            data["config_hash"],
            data["lang"],
            data["gpc"],
        )
        if kind == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, values)
            conn.execute("COMMIT")
        else:
            conn.execute(sql, values)
            conn.commit()

    return insert


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    _prepare(args.db)
    try:
        return _report(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres":
            import psycopg

            with psycopg.connect(
                host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def _report(args: argparse.Namespace) -> int:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import transaction

    n = max(50, args.requests // 5)
    body = _body()
    app = WSGIHandler()
    status = _call(app, body)
    print(f"POST /api/consent through the WSGI application: {status}")
    if not status.startswith("201"):
        answer: Any = app(_environ(body), lambda *a: None)  # type: ignore[arg-type]
        print(b"".join(answer).decode(errors="replace"))
        return 1

    full = _mean_us(lambda: _call(app, body), n)
    bare = _mean_us(_bare_insert(args.db, body), n)
    print("(all times: CPU time of this process, user + system, best of 9 rounds)")
    print(
        f"\n1. one request, whole WSGI app: {full:8.0f} µs   bare json.loads+INSERT: {bare:6.0f} µs"
    )
    print(f"   (the bare figure is {bare / full:.2f}× of Gardien's in-process time)")

    print("\n2. where one request's CPU time goes, µs per request (timers between middleware,")
    print("   best of 5 rounds):")
    spans = _timed_spans(body, args.requests)
    for label, us in spans:
        print(f"   {label:<64} {us:7.0f}")

    print("\n3. the pieces, µs per call:")
    from gardien.consent.models import ConsentRecord
    from gardien.lib import clock

    found = ConsentRecord.objects.order_by("-id").values().first()
    assert found is not None
    record: dict[str, Any] = {k: v for k, v in found.items() if k != "id"}

    def orm_insert() -> None:
        import secrets as rnd

        with transaction.atomic():
            ConsentRecord.objects.create(
                **{**record, "consent_id": rnd.token_urlsafe(16), "recorded_at": clock.now()}
            )

    print(f"   ConsentRecord.objects.create in atomic(): {_mean_us(orm_insert, n):7.0f}")
    from gardien.consent import services

    payload = json.loads(body)
    parts: list[tuple[str, Callable[[], Any]]] = [
        ("services.parse_body(body)", lambda: services.parse_body(body)),
        ("services.validate_choice(payload)", lambda: services.validate_choice(payload)),
        (
            "services.record_choice(payload) (validate + write)",
            lambda: services.record_choice(payload),
        ),
    ]
    from django.http import JsonResponse

    from gardien.security import allowed_origins

    parts += [
        ("gardien.security.allowed_origins() (stat of the manifest)", allowed_origins),
        (
            "JsonResponse({...3 keys}, status=201)",
            lambda: JsonResponse(
                {"consent_id": "x" * 22, "recorded_at": "t", "version": 1}, status=201
            ),
        ),
    ]
    for label, fn in parts:
        try:
            print(f"   {label}: {_mean_us(fn, n):7.0f}")
        except Exception as exc:  # the service's API may have moved: say it and go on
            print(f"   {label}: not measured ({type(exc).__name__}: {exc})")
    try:
        from django.test import RequestFactory
        from django.urls import resolve

        match = resolve("/api/consent")
        factory = RequestFactory()

        def view_only() -> None:
            request = factory.post(
                "/api/consent",
                data=body,
                content_type="application/json",
                headers={"Origin": ORIGIN},
            )
            match.func(request)

        print(f"   view alone (RequestFactory + {match._func_path}): {_mean_us(view_only, n):7.0f}")

        def request_only() -> None:
            factory.post("/api/consent", data=body, content_type="application/json")

        print(f"   RequestFactory request alone: {_mean_us(request_only, n):7.0f}")
    except Exception as exc:  # a diagnosis tool: say it and go on
        print(f"   (view alone not measured: {type(exc).__name__}: {exc})")

    print(f"\n4. cProfile (CPU time) of {args.requests} requests through the whole WSGI app:")
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.requests):
        _call(app, body)
    profile.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(f"\n--- by {order} ---")
        print(text[text.find("   ncalls") :].rstrip())
    dump = WORK.parent / f"profile-{args.db}.pstats"
    profile.dump_stats(dump)
    print(f"\n(profile saved to {dump}; open with `python -m pstats {dump}`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
