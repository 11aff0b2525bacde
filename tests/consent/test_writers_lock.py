"""On SQLite, consent proofs written outside a transaction take turns through the writers'
lock file (gardien/lib/writers.py) rather than in SQLite's sleeping busy handler: with
another process, and between the threads of one process. Inside a transaction no turn is
taken (the connection may hold SQLite's lock already). Real processes, real database
(``transactional_db``: no test transaction hides the commits)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from gardien.consent import services
from gardien.consent.models import ConsentRecord
from gardien.lib import writers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the writers' lock file is SQLite's"),
]

HOLD = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[str]]:
    """Another process holding the database's writers' lock until it is sent a line."""
    path = writers.lock_path(connection)
    assert path is not None
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    yield holder
    if holder.poll() is None:
        holder.communicate("go\n", timeout=10)


def in_thread(work: Any) -> tuple[threading.Thread, list[Any]]:
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done


def test_a_proof_waits_while_another_process_writes_then_is_recorded(
    other_process, served_post_choice, choice
):
    body = choice()
    sender, answers = in_thread(
        lambda: served_post_choice(body, keep_test_connection=False).status_code
    )
    sender.join(0.5)
    assert sender.is_alive() and not answers  # its turn has not come
    assert not ConsentRecord.objects.exists()

    other_process.communicate("go\n", timeout=10)  # the other process ends: its lock goes

    sender.join(10)
    assert answers == [201]
    assert ConsentRecord.objects.count() == 1


def test_inside_a_transaction_a_proof_takes_no_turn(other_process, choice):
    body = choice()

    def in_a_transaction() -> bool:
        with transaction.atomic():
            return services.record_choice(body).created

    writer, done = in_thread(in_a_transaction)
    writer.join(5)

    assert not writer.is_alive() and done == [True]  # written while the other holds the lock
    assert ConsentRecord.objects.count() == 1


def test_the_threads_of_one_process_take_turns():
    first_in, let_go = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with writers.one_writer(connection):
            order.append("first in")
            first_in.set()
            let_go.wait(5)
            order.append("first out")

    def second() -> None:
        first_in.wait(5)
        with writers.one_writer(connection):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    threads[1].join(0.3)
    assert threads[1].is_alive() and order == ["first in"]
    let_go.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first in", "first out", "second in"]
