"""Newsletter campaigns: ``gardien newsletter send`` to 10,000 confirmed subscribers, against a
bare smtplib loop sending the same messages over one connection; then the same send killed
with ``kill -9`` half way and resumed.

For SQLite (a fresh file under var/bench/newsletter/) and PostgreSQL (127.0.0.1:5432, user
postgres, a throw-away database ``gardien_bench_newsletter``; skipped with a line when
unreachable):

- the database is migrated and the Coopo manifest published (``gardien secrets init``,
  ``migrate``, ``policy publish``); 10,000 confirmed subscribers, half fr and half en: the
  first through the path a reader takes (``services.keep``, ``file_signups``,
  ``new_confirmation_token``, ``confirm``), the others written in bulk with the same rows
  (Person with its encrypted address and blind index, ConsentProof, Subscription,
  LastContact; no audit entry, which sending does not read);
- an SMTP sink in its own process (bench/_smtp_sink.py) accepts every message and keeps its
  recipient and Message-ID; the benchmark asks it what it received;
- Gardien: ``gardien newsletter send --subject S --body body.md`` as a subprocess, as a DPO
  runs it (the ``gardien`` entry point, DATABASE_URL, EMAIL_HOST/EMAIL_PORT pointed at the
  sink), timed from start to exit: its start, ``prepare`` (listing the 10,000 deliveries)
  and ``send``;
- bare: a subprocess that loads the same 10,000 messages, built beforehand by Gardien's own
  ``Letter.to(...)`` (the campaign's letters, each reader's unsubscribe token, the
  Message-ID of each delivery) and serialised as Django's SMTP backend does, then sends
  them with ``smtplib.SMTP.sendmail`` over one connection (timed from connect to QUIT).

The bare loop runs before and after Gardien's send; its figure is over both runs. Figures:
messages/s of the whole command against the bare loop's, and of the sending only (the
sink's first to last message, for both), with the sizes of the messages the sink received
from each, and the sink's CPU per message. Target: Gardien ≥ 0.5× bare.

Kill test: a new campaign is started, killed with SIGKILL as soon as the sink has received
half the messages, and the same command is run again (it resumes). Per subscriber, the sink
then counts the messages received: duplicates (and whether a duplicate carries the same
Message-ID, which mail clients show once, or a new one) and missing. Asked for: 0 and 0;
gardien/newsletter/campaigns.py allows one subscriber twice, under the same Message-ID: the
message in flight at the kill, accepted by the server but not yet marked sent.

``NEWSLETTER_BENCH_SUBSCRIBERS`` changes the number of subscribers (default 10,000;
``GARDIEN_BENCH_QUICK`` makes it 2,000). Every process started here is stopped on any exit.

The same file is Gardien's side of the benchmark, run in a subprocess with Gardien's
settings: ``seed N``, ``messages …``, ``state SUBJECT``, ``bare PORT FILE``, and
``profile SUBJECT BODY PORT``, which runs ``campaigns.prepare`` and ``campaigns.send`` under
cProfile in one process and prints the top costs (against the database of
``DATABASE_URL`` and a sink on PORT; run by hand, not part of the benchmark).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# bench/ is not a package (run.py loads each benchmark by its path): its helpers by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serving import (
    LABELS,
    VENV_BIN,
    Database,
    Processes,
    Skip,
    clean_environ,
    free_port,
    gardien_env,
    loadavg,
    log_tail,
    prepare_gardien,
    terminate_as_exit,
)

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
SINK = HERE.parent / "_smtp_sink.py"
WORK = ROOT / "var" / "bench" / "newsletter"
PG_DB = "gardien_bench_newsletter"
TARGET = 0.5
# The bare loop runs before and after Gardien, so that a change in the machine's load while
# the benchmark runs weighs on both; Gardien's send, the longer, runs once.
ORDER = ("bare", "gardien", "bare")
SITE_URL = "https://gardien.coopo.example"
FROM_EMAIL = "lettre@coopo.example"
SUBJECT = "Nouvelles de Coopo"
# Variables that would send Gardien's mail elsewhere than to the sink.
MAIL_VARIABLES = (
    "EMAIL_FILE_PATH",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "GARDIEN_BREVO_API_KEY",
    "GARDIEN_BREVO_LIST_ID",
)
BODY = """\
# Nouvelles de Coopo

Bonjour, voici **les nouvelles du trimestre** de la coopérative, et ce qui vous attend au
printemps. Merci à toutes celles et ceux qui ont participé à l'assemblée générale de mars.

## Au programme

- l'ouverture du nouveau local, rue des Tanneurs, le 12 avril ;
- un atelier *réparation de vélos* chaque premier samedi du mois ;
- la campagne d'adhésion 2026, avec un tarif solidaire.

Les comptes rendus sont sur [notre site](https://coopo.fr/comptes-rendus), et le programme
complet des ateliers sur [la page des ateliers](https://coopo.fr/ateliers).

Vous pouvez répondre à ce message : il arrive à l'équipe, qui vous répondra.

À bientôt,
l'équipe de Coopo
"""


def _subscribers() -> int:
    if os.environ.get("NEWSLETTER_BENCH_SUBSCRIBERS"):
        return max(10, int(os.environ["NEWSLETTER_BENCH_SUBSCRIBERS"]))
    return 2_000 if os.environ.get("GARDIEN_BENCH_QUICK") else 10_000


def address(i: int) -> str:
    return f"lecteur.{i:05d}@example.org"


def log(message: str) -> None:
    print(f"  newsletter_campaign: {message}", flush=True)


# --------------------------------------------------------------------------- the sink


class Sink:
    """bench/_smtp_sink.py in its own process, and a control connection to it."""

    def __init__(self, procs: Processes, work: Path) -> None:
        self.port = free_port()
        self.work = work
        self.log_file = work / "sink.log"
        self.proc = procs.start(
            [sys.executable, str(SINK), str(self.port)], clean_environ(), self.log_file
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                self.control = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise Skip(f"the SMTP sink did not start:\n{log_tail(self.log_file)}") from None
                time.sleep(0.05)
        self.replies = self.control.makefile("rb")
        self.replies.readline()  # the greeting

    def ask(self, line: str) -> str:
        self.control.sendall(line.encode() + b"\r\n")
        reply = self.replies.readline().decode().strip()
        if not reply.startswith("250"):
            raise Skip(f"the SMTP sink answered {reply!r} to {line}")
        return reply[4:]

    def stat(self) -> dict[str, float]:
        count, partial, first, last, cpu = self.ask("XSTAT").split()
        return {
            "count": int(count),
            "partial": int(partial),
            "first": float(first),
            "last": float(last),
            "cpu": float(cpu),
        }

    def clear(self) -> None:
        self.ask("XCLEAR")

    def received(self, name: str) -> list[dict[str, Any]]:
        path = self.work / f"sink-{name}.jsonl"
        self.ask(f"XDUMP {path}")
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]


# --------------------------------------------------------------------------- the runs


def helper(env: dict[str, str], *args: str, timeout: float = 240) -> dict[str, Any]:
    """This file's Gardien side (``python bench/bench_newsletter_campaign.py ARGS``)."""
    done = subprocess.run(
        [sys.executable, str(HERE), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise Skip(f"`{HERE.name} {args[0]}` failed:\n{(done.stdout + done.stderr)[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def send_command(body: Path, subject: str) -> list[str]:
    return [
        str(VENV_BIN / "gardien"),
        "newsletter",
        "send",
        "--subject",
        subject,
        "--body",
        str(body),
    ]


def run_gardien(
    env: dict[str, str], sink: Sink, body: Path, subject: str, log_file: Path
) -> dict[str, Any]:
    """``gardien newsletter send`` to the end, timed from start to exit."""
    sink.clear()
    before = sink.stat()
    start = time.monotonic()
    done = subprocess.run(
        send_command(body, subject),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - start
    with log_file.open("a", encoding="utf-8") as out:
        out.write(f"$ gardien newsletter send --subject {subject!r}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise Skip(f"`gardien newsletter send` failed:\n{(done.stdout + done.stderr)[-2000:]}")
    after = sink.stat()
    return {
        "seconds": seconds,
        "window": after["last"] - after["first"],
        "sink_cpu": after["cpu"] - before["cpu"],
        "said": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "",
        "received": sink.received("gardien"),
    }


def run_bare(env: dict[str, str], sink: Sink, messages: Path) -> dict[str, Any]:
    sink.clear()
    before = sink.stat()
    result = helper(env, "bare", str(sink.port), str(messages))
    after = sink.stat()
    result["window"] = after["last"] - after["first"]
    result["sink_cpu"] = after["cpu"] - before["cpu"]
    result["received"] = sink.received("bare")
    return result


def check_once(received: list[dict[str, Any]], expected: set[str], who: str) -> None:
    """Every subscriber received exactly one message, or the figures mean nothing."""
    rcpts = Counter(r for message in received for r in message["rcpt"])
    if set(rcpts) != expected or max(rcpts.values()) != 1:
        raise Skip(
            f"{who}: the sink received {len(received)} messages for {len(rcpts)} recipients, "
            f"not one for each of the {len(expected)} subscribers"
        )


def kill_test(
    env: dict[str, str],
    procs: Processes,
    sink: Sink,
    body: Path,
    expected: set[str],
    label: str,
    log_file: Path,
) -> dict[str, Any]:
    """A new campaign killed with SIGKILL once the sink has half of it, then resumed."""
    subject = f"{SUBJECT} — envoi interrompu"
    half = len(expected) // 2
    sink.clear()
    proc = procs.start(send_command(body, subject), env, log_file)
    killed_at = -1
    while proc.poll() is None:
        count = int(sink.stat()["count"])
        if count >= half:
            os.kill(proc.pid, signal.SIGKILL)  # kill -9, of the one process
            killed_at = count
            break
        time.sleep(0.002)
    proc.wait(timeout=30)
    procs.stop(proc)
    if killed_at < 0:
        raise Skip(
            f"{label}: the send ended before it could be killed (exit {proc.returncode}):\n"
            f"{log_tail(log_file)}"
        )
    time.sleep(0.3)  # the sink sees the connection closed
    at_kill = sink.stat()
    log(
        f"{label}: kill test: SIGKILL when the sink had {killed_at} messages "
        f"({at_kill['count']} once the connection closed, {at_kill['partial']} DATA cut short)"
    )
    resumed = subprocess.run(
        send_command(body, subject),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    said = " / ".join(line for line in resumed.stdout.splitlines() if "Sending" not in line)
    with log_file.open("a", encoding="utf-8") as out:
        out.write(f"$ (again) gardien newsletter send\n{resumed.stdout}{resumed.stderr}\n")
    if resumed.returncode != 0:
        raise Skip(f"the resumed send failed:\n{(resumed.stdout + resumed.stderr)[-2000:]}")
    log(f"{label}: kill test: the same command again said: {said}")
    received = sink.received("kill")
    per_rcpt: dict[str, list[str]] = {}
    for message in received:
        for rcpt in message["rcpt"]:
            per_rcpt.setdefault(rcpt, []).append(message["msgid"])
    twice = {r: ids for r, ids in per_rcpt.items() if len(ids) > 1}
    new_id = sum(1 for ids in twice.values() if len(set(ids)) > 1)
    state = helper(env, "state", subject)
    return {
        "killed_at": killed_at,
        "messages": len(received),
        "duplicates": len(twice),
        "duplicates_new_id": new_id,
        "missing": len(expected - set(per_rcpt)),
        "strangers": len(set(per_rcpt) - expected),
        "partial": sink.stat()["partial"],
        "state": state,
    }


def _bench_database(procs: Processes, kind: str) -> list[dict[str, Any]]:
    label = LABELS[kind]
    count = _subscribers()
    db = Database(kind, WORK, table="newsletter_subscription", pg_db=PG_DB)
    db.prepare()
    log_file = db.var_dir / "gardien.log"
    try:
        sink = Sink(procs, db.var_dir)
        env = gardien_env(
            db,
            8000,
            SITE_URL=SITE_URL,
            DEFAULT_FROM_EMAIL=FROM_EMAIL,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(sink.port),
        )
        for name in MAIL_VARIABLES:
            env.pop(name, None)
        began = time.monotonic()
        prepare_gardien(db, env, label, log)
        started = time.monotonic()
        seeded = helper(env, "seed", str(count))
        log(
            f"{label}: {seeded['sendable']} confirmed subscribers ({seeded['fr']} fr, "
            f"{seeded['en']} en) in {time.monotonic() - started:.1f} s"
        )
        if seeded["sendable"] != count:
            raise Skip(f"{seeded['sendable']} sendable subscribers instead of {count}")
        expected = {address(i) for i in range(count)}
        body = db.var_dir / "body.md"
        body.write_text(BODY, encoding="utf-8")
        messages = db.var_dir / "messages.pickle"
        started = time.monotonic()
        built = helper(env, "messages", f"{SUBJECT} n°2", str(body), "1", str(messages))
        log(
            f"{label}: the bare loop's {built['messages']} messages built with Letter.to(...) "
            f"({built['bytes'] / built['messages']:.0f} bytes each on average) in "
            f"{time.monotonic() - started:.1f} s"
        )
        load_before = loadavg()
        gardien: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        log(f"{label}: bare, Gardien, bare (load average before: {load_before}) …")
        for step, who in enumerate(ORDER, 1):
            if who == "bare":
                found = run_bare(env, sink, messages)
                check_once(found["received"], expected, f"{label}: bare")
                bare.append(found)
            else:
                found = run_gardien(env, sink, body, f"{SUBJECT} n°{step}", log_file)
                check_once(found["received"], expected, f"{label}: Gardien")
                gardien.append(found)
            log(
                f"{label}: {who}: {count / found['seconds']:.0f} msgs/s "
                f"({found['seconds']:.2f} s; sending only: "
                f"{(count - 1) / found['window']:.0f} msgs/s)"
            )
        load_after = loadavg()
        log(f"{label}: load average after: {load_after}")
        killed = kill_test(env, procs, sink, body, expected, label, log_file)
        log(f"{label}: {time.monotonic() - began:.0f} s in all for this database")
    finally:
        procs.stop_all()
        db.drop()
    rows = figures(label, count, gardien, bare, killed)
    rows[0]["detail"] = {
        "subscribers": count,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        **rows[0].pop("detail"),
    }
    return rows


def _size(runs: list[dict[str, Any]]) -> float:
    sizes = [m["size"] for run in runs for m in run["received"]]
    return sum(sizes) / len(sizes)


def figures(
    label: str,
    count: int,
    gardien: list[dict[str, Any]],
    bare: list[dict[str, Any]],
    killed: dict[str, Any],
) -> list[dict[str, Any]]:
    sent = count * len(gardien)
    g_rate = sent / sum(r["seconds"] for r in gardien)
    b_rate = count * len(bare) / sum(r["seconds"] for r in bare)
    g_window = (count - 1) * len(gardien) / sum(r["window"] for r in gardien)
    b_window = (count - 1) * len(bare) / sum(r["window"] for r in bare)
    g_sink = sum(r["sink_cpu"] for r in gardien) / sent * 1e6
    b_sink = sum(r["sink_cpu"] for r in bare) / (count * len(bare)) * 1e6
    b_client = sum(r["cpu"] for r in bare) / (count * len(bare)) * 1e6
    log(
        f"{label}: Gardien {g_rate:.0f} msgs/s (whole command; sending only {g_window:.0f}), "
        f"bare {b_rate:.0f} msgs/s (sending only {b_window:.0f}): ratio {g_rate / b_rate:.2f} "
        f"(sending only {g_window / b_window:.2f}; target ≥ {TARGET})"
    )
    log(
        f"{label}: messages as received: Gardien {_size(gardien):.0f} bytes, bare "
        f"{_size(bare):.0f} bytes on average; the sink's CPU per message: {g_sink:.0f} µs "
        f"with Gardien, {b_sink:.0f} µs with bare (the bare client's: {b_client:.0f} µs; "
        f"a bare message takes {1e6 / b_window:.0f} µs of wall time)"
    )
    log(f"{label}: Gardien said: {gardien[-1]['said']}")
    state = killed["state"]
    log(
        f"{label}: kill test: {killed['messages']} messages for {count} subscribers: "
        f"{killed['duplicates']} received twice ({killed['duplicates_new_id']} of them under "
        f"a new Message-ID), {killed['missing']} missing, {killed['strangers']} strangers; "
        f"the database: {state['deliveries']} deliveries, {state['unsent']} unsent, "
        f"campaign {'finished' if state['finished'] else 'NOT finished'}"
    )
    detail = {
        "gardien_seconds": [r["seconds"] for r in gardien],
        "bare_seconds": [r["seconds"] for r in bare],
        "message_bytes": {"gardien": _size(gardien), "bare": _size(bare)},
        "sink_cpu_us_per_message": {"gardien": g_sink, "bare": b_sink},
        "bare_client_cpu_us_per_message": b_client,
        "kill_test": dict(killed),
    }
    return [
        {
            "name": f"campaign msgs/s, whole command ({label})",
            "value": g_rate,
            "unit": "msgs/s",
            "baseline": b_rate,
            "detail": detail,
        },
        {
            "name": f"campaign msgs/s, sending only ({label})",
            "value": g_window,
            "unit": "msgs/s",
            "baseline": b_window,
        },
        {
            "name": f"kill -9 + resume: received twice ({label})",
            "value": killed["duplicates"],
            "unit": "subscribers",
        },
        {
            "name": f"kill -9 + resume: twice under a new Message-ID ({label})",
            "value": killed["duplicates_new_id"],
            "unit": "subscribers",
        },
        {
            "name": f"kill -9 + resume: missing ({label})",
            "value": killed["missing"],
            "unit": "subscribers",
        },
    ]


def run() -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    rows: list[dict[str, Any]] = []
    verdicts = []
    with terminate_as_exit():
        try:
            for kind in ("sqlite", "postgres"):
                label = LABELS[kind]
                try:
                    found = _bench_database(procs, kind)
                except Skip as exc:
                    log(f"{label}: SKIPPED: {exc}")
                    verdicts.append(f"{label} not measured")
                    continue
                rows.extend(found)
                ratio = found[0]["value"] / found[0]["baseline"]
                verdicts.append(
                    f"{label} {ratio:.2f}× of bare (target ≥ {TARGET}: "
                    f"{'met' if ratio >= TARGET else 'SHORT'}); kill -9 and resume: "
                    f"{found[2]['value']} received twice, {found[4]['value']} missing"
                )
        except (KeyboardInterrupt, SystemExit):
            log("interrupted: stopping every process started here")
            raise
        finally:
            procs.stop_all()
    print(f"newsletter campaign: {'; '.join(verdicts)}", flush=True)
    return rows


# --------------------------------------------------------------------------- Gardien's side


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    import django

    django.setup()


def _seed(count: int) -> dict[str, Any]:
    import datetime as dt

    from django.db import transaction

    from gardien.lib import clock, crypto
    from gardien.newsletter import services
    from gardien.newsletter.models import ConsentProof, Subscription
    from gardien.vault.models import LastContact, Person

    found = services.setup()
    assert found is not None, "the published policy has no newsletter"
    # The first one through the path a reader takes: the sign-up, the link, the POST.
    pending = services.keep(found, address(0), "fr", "page")
    services.file_signups()
    pending.refresh_from_db()
    assert services.confirm(services.new_confirmation_token(pending)) is not None
    start = clock.now() - dt.timedelta(days=30)
    people, proofs, subscriptions, contacts = [], [], [], []
    for i in range(1, count):
        email, lang = address(i), ("fr", "en")[i % 2]
        confirmed = start + dt.timedelta(seconds=i)
        person = Person(email=email, created_at=confirmed)
        proof = ConsentProof(
            person=person,
            email_hash=crypto.blind_index(crypto.normalise_email(email)),
            lang=lang,
            source="page",
            policy_version=found.version,
            statement_sha256=found.statement_sha256(lang),
            signed_up_at=confirmed - dt.timedelta(minutes=3),
            confirmed_at=confirmed,
        )
        people.append(person)
        proofs.append(proof)
        subscriptions.append(
            Subscription(person=person, lang=lang, proof=proof, confirmed_at=confirmed)
        )
        contacts.append(LastContact(person=person, activity="newsletter", at=confirmed))
    with transaction.atomic():
        for model, rows in (
            (Person, people),
            (ConsentProof, proofs),
            (Subscription, subscriptions),
            (LastContact, contacts),
        ):
            model.objects.bulk_create(rows, batch_size=1000)  # type: ignore[attr-defined]
    langs = Counter(services.sendable().values_list("lang", flat=True))
    return {"sendable": services.sendable().count(), "fr": langs["fr"], "en": langs["en"]}


def _messages(subject: str, body_file: str, first_pk: int, out: str) -> dict[str, Any]:
    """The messages of a campaign as Gardien would send them, serialised as Django's SMTP
    backend does (``message(policy=email.policy.SMTP).as_bytes()``), in the same order."""
    import email.policy

    from django.core.mail import mailers

    from gardien.newsletter import campaigns, mail, services
    from gardien.newsletter.models import Campaign

    found = services.setup()
    assert found is not None
    campaign = Campaign(
        kind=Campaign.Kind.NEWSLETTER, subject=subject, body=Path(body_file).read_text()
    )
    rendered = campaigns.letters(campaign, found)
    backend = mailers.default
    built = []
    subscriptions = services.sendable().select_related("person")
    for i, subscription in enumerate(subscriptions):
        letter = rendered.get(subscription.lang) or rendered["fr"]
        message = letter.to(
            subscription.person.email,
            services.unsubscribe_token(subscription),
            mail.message_id("campaign", f"{campaign.pk}.{first_pk + i}"),
        )
        built.append(
            (
                backend.prep_address(message.from_email),
                [backend.prep_address(a) for a in message.recipients()],
                message.message(policy=email.policy.SMTP).as_bytes(),
            )
        )
    Path(out).write_bytes(pickle.dumps(built))
    return {"messages": len(built), "bytes": sum(len(m[2]) for m in built)}


def _state(subject: str) -> dict[str, Any]:
    from gardien.newsletter.models import Campaign, Delivery

    campaign = Campaign.objects.get(subject=subject)
    deliveries = Delivery.objects.filter(campaign=campaign)
    return {
        "deliveries": deliveries.count(),
        "unsent": deliveries.filter(sent_at__isnull=True).count(),
        "finished": campaign.finished_at is not None,
    }


def _bare(port: int, messages_file: str) -> dict[str, Any]:
    """The bare loop: the same messages over ONE smtplib connection, with the connection
    settings of Gardien's mailer (a 30 s timeout, the machine's name in EHLO)."""
    import smtplib

    messages = pickle.loads(Path(messages_file).read_bytes())
    fqdn = socket.getfqdn()
    cpu, start = time.process_time(), time.monotonic()
    smtp = smtplib.SMTP("127.0.0.1", port, local_hostname=fqdn, timeout=30)
    for sender, recipients, data in messages:
        smtp.sendmail(sender, recipients, data)
    smtp.quit()
    seconds = time.monotonic() - start
    return {"sent": len(messages), "seconds": seconds, "cpu": time.process_time() - cpu}


def _profile(subject: str, body_file: str, port: int) -> None:
    """``prepare`` and ``send`` of a new campaign under cProfile, in one process."""
    import cProfile
    import pstats

    from django.conf import settings

    from gardien.newsletter import campaigns
    from gardien.newsletter.models import Campaign

    settings.MAILERS["default"]["OPTIONS"]["port"] = port
    body = Path(body_file).read_text(encoding="utf-8")
    profiler = cProfile.Profile()
    start = time.monotonic()
    profiler.enable()
    campaign, _ = campaigns.prepare(Campaign.Kind.NEWSLETTER, subject, body, again=True)
    summary = campaigns.send(campaign)
    profiler.disable()
    seconds = time.monotonic() - start
    print(f"{summary.sent} sent in {seconds:.2f} s under cProfile", file=sys.stderr)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)


def main(argv: list[str]) -> None:
    if argv[0] == "bare":
        print(json.dumps(_bare(int(argv[1]), argv[2])))
        return
    _django()
    if argv[0] == "seed":
        print(json.dumps(_seed(int(argv[1]))))
    elif argv[0] == "messages":
        print(json.dumps(_messages(argv[1], argv[2], int(argv[3]), argv[4])))
    elif argv[0] == "state":
        print(json.dumps(_state(argv[1])))
    elif argv[0] == "profile":
        _profile(argv[1], argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
