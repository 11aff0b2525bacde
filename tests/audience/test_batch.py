"""Grouped writes for real: leader and followers, each request on its own connection, one
transaction per group, and a page view acknowledged only once committed
(``transactional_db``: no test transaction hides the commits)."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from gardien.audience import batch
from gardien.audience.models import PageView
from gardien.lib import clock
from tests.audience.conftest import ORIGIN, view_body

pytestmark = pytest.mark.django_db(transaction=True)


def row(path: str = "/", **changes: Any) -> PageView:
    values: dict[str, Any] = {
        "viewed_at": clock.now(),
        "site": "www.coopo.fr",
        "path": path,
        "screen": "desktop",
        "entry": True,
    }
    values.update(changes)
    return PageView(**values)


@pytest.fixture
def groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each group inserted; the first insert is slowed down so that the rows
    sent meanwhile queue up behind it."""
    sizes: list[int] = []
    original = batch._insert

    def insert(rows: list[PageView]) -> None:
        sizes.append(len(rows))
        if len(sizes) == 1:
            time.sleep(0.2)
        original(rows)

    monkeypatch.setattr(batch, "_insert", insert)
    return sizes


def test_an_acknowledged_page_view_is_committed(published, post_view):
    response = post_view(keep_test_connection=False)

    assert response.status_code == 204
    # Read from this thread's own connection: the leader's transaction is committed.
    assert PageView.objects.filter(path="/adhesion").count() == 1


def test_a_lone_view_is_written_by_its_own_request(monkeypatch):
    threads: list[str] = []
    original = batch._insert

    def insert(rows: list[PageView]) -> None:
        threads.append(threading.current_thread().name)
        original(rows)

    monkeypatch.setattr(batch, "_insert", insert)

    batch.write(row("/alone"))

    assert threads == [threading.current_thread().name]
    assert PageView.objects.filter(path="/alone").exists()


def test_a_burst_is_written_in_a_few_transactions(published, post_view, groups):
    answers: list[int] = []

    def send(n: int) -> None:
        try:
            served = post_view(view_body(url=f"{ORIGIN}/p{n}"), keep_test_connection=False)
            answers.append(served.status_code)
        finally:
            connections.close_all()  # as a server thread would at its end

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [204] * 20
    assert PageView.objects.count() == 20
    assert sum(groups) == 20
    assert len(groups) < 20 and max(groups) > 1, groups


def in_threads(paths: list[str]) -> tuple[list[threading.Thread], dict[str, str]]:
    """Write one row per path, each from a thread of its own; what became of each."""
    outcome: dict[str, str] = {}

    def send(path: str) -> None:
        try:
            batch.write(row(path))
            outcome[path] = "stored"
        except batch.NotStored as refused:
            outcome[path] = f"not stored: {refused}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(path,)) for path in paths]
    return threads, outcome


def test_a_follower_left_out_of_its_leaders_group_leads_the_next(monkeypatch, groups):
    monkeypatch.setattr(batch, "MAX_ROWS", 2)
    monkeypatch.setattr(batch, "max_writers", lambda: 1)  # as on SQLite
    threads, outcome = in_threads([f"/f{n}" for n in range(5)])
    threads[0].start()
    time.sleep(0.05)  # the first leader is writing its own row (slowly)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(outcome.values()) == {"stored"}
    assert groups == [1, 2, 2]
    assert PageView.objects.count() == 5


def test_a_row_the_database_refuses_costs_only_its_own_view():
    group = [batch._Pending(row("/a")), batch._Pending(row("/b", viewed_at=None))]
    group.append(batch._Pending(row("/c")))

    batch.write_group(group)

    assert [p.error is None for p in group] == [True, False, True]
    assert sorted(PageView.objects.values_list("path", flat=True)) == ["/a", "/c"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server that drops connections")
def test_a_connection_the_database_dropped_is_replaced_without_losing_the_view():
    batch.write(row("/before"))
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()

    batch.write(row("/after"))

    assert sorted(PageView.objects.values_list("path", flat=True)) == ["/after", "/before"]


def test_a_view_that_could_not_be_stored_is_not_acknowledged(published, post_view, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "_insert", refuse)

    response = post_view(keep_test_connection=False)

    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert not PageView.objects.exists()


def test_a_leader_stuck_in_the_database_leaves_its_followers_unacknowledged(monkeypatch):
    monkeypatch.setattr(batch, "WAIT_SECONDS", 0.2)
    monkeypatch.setattr(batch, "max_writers", lambda: 1)  # as on SQLite
    release = threading.Event()
    original = batch._insert

    def stuck(rows: list[PageView]) -> None:
        release.wait(5)
        original(rows)

    monkeypatch.setattr(batch, "_insert", stuck)
    threads, outcome = in_threads(["/leader", "/follower"])
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    threads[1].join()

    assert outcome == {"/follower": "not stored: the database did not answer in time"}
    assert not batch._current().queue  # no later leader writes a view answered 503
    release.set()
    threads[0].join()
    assert outcome["/leader"] == "stored"
    assert list(PageView.objects.values_list("path", flat=True)) == ["/leader"]


def test_a_leader_interrupted_acknowledges_nothing(monkeypatch):
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "write_group", interrupted)
    group = batch._current()

    with pytest.raises(KeyboardInterrupt):
        group.write(row("/interrupted"))

    assert not group.writers and not group.queue


def test_a_full_queue_answers_at_once(monkeypatch):
    monkeypatch.setattr(batch, "MAX_QUEUED", 0)

    with pytest.raises(batch.NotStored):
        batch.write(row("/full"))

    assert not PageView.objects.exists()


def test_a_process_forked_after_its_parent_wrote_gets_a_group_of_its_own(monkeypatch):
    parent = batch._current()
    parent.writers = 1  # as a thread of the parent may have left it at the fork
    monkeypatch.setattr(batch.os, "getpid", lambda: parent.pid + 1)

    child = batch._current()

    assert child is not parent and child.pid == parent.pid + 1 and not child.writers
    batch.write(row("/child"))
    assert PageView.objects.filter(path="/child").exists()


def test_inside_a_transaction_the_row_is_written_there():
    from django.db import transaction

    with transaction.atomic():
        batch.write(row("/inline", viewed_at=clock.now() - dt.timedelta(seconds=1)))
        assert connection.in_atomic_block
        assert PageView.objects.filter(path="/inline").exists()
    assert batch._group is None


def test_the_usual_page_view_replaces_a_connection_older_than_conn_max_age(published, post_view):
    # The usual page view sends no request signals (gardien/wsgi.py): the writer itself
    # closes a connection past its age, as the end of a request would have.
    assert post_view(view_body(url=f"{ORIGIN}/a"), keep_test_connection=False).status_code == 204
    old = connection.connection
    assert old is not None
    connection.close_at = time.monotonic() - 1

    response = post_view(view_body(url=f"{ORIGIN}/b"), keep_test_connection=False)

    assert response.status_code == 204
    assert connection.connection is not None and connection.connection is not old
    assert sorted(PageView.objects.values_list("path", flat=True)) == ["/a", "/b"]


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the writers' lock file is SQLite's"
)


@sqlite_only
def test_sqlite_flushes_every_commit_to_disk():
    # synchronous=FULL: an acknowledged page view (or proof, or erasure) survives a power
    # cut; with NORMAL, WAL mode may roll the last commits back after one.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL


@sqlite_only
def test_a_page_view_waits_while_another_process_writes_then_is_stored(published, post_view):
    from gardien.lib import writers

    path = writers.lock_path(connection)
    assert path is not None and path.endswith("-writers.lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n",
            path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    answers: list[int] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"

        def send() -> None:
            try:
                answers.append(post_view(keep_test_connection=False).status_code)
            finally:
                connections.close_all()

        sender = threading.Thread(target=send)
        sender.start()
        sender.join(0.5)
        assert sender.is_alive() and not answers  # waiting for the other process
        assert not PageView.objects.exists()
    finally:
        holder.communicate("go\n", timeout=10)  # the other process ends: its lock goes

    sender.join(10)
    assert answers == [204]
    assert PageView.objects.filter(path="/adhesion").count() == 1


@sqlite_only
def test_a_forked_process_locks_through_a_descriptor_of_its_own():
    # A descriptor inherited through a fork shares its lock with the parent's: the child
    # must open the file again, or the two would not keep each other out.
    from gardien.lib import writers

    path = writers.lock_path(connection)
    assert path is not None
    held = writers._this_process(path)
    assert held is not None
    parent_fd = held.fd
    ready, go = os.pipe(), os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        try:
            with writers.one_writer(connection):
                os.write(ready[1], b"x")
                os.read(go[0], 1)
        finally:
            os._exit(0)
    try:
        assert os.read(ready[0], 1) == b"x"
        with pytest.raises(BlockingIOError):
            fcntl.flock(parent_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.write(go[1], b"x")
        os.waitpid(child, 0)
    fcntl.flock(parent_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the child is done
    fcntl.flock(parent_fd, fcntl.LOCK_UN)


@sqlite_only
def test_without_its_lock_file_a_page_view_is_still_stored(monkeypatch, caplog):
    from gardien.lib import writers

    monkeypatch.setattr(writers, "SUFFIX", "/not-a-folder/writers.lock")
    monkeypatch.setattr(writers, "_held", {})

    batch.write(row("/unlocked"))

    assert PageView.objects.filter(path="/unlocked").exists()
    assert "lock file beside the database cannot be opened" in caplog.text


def test_postgresql_writes_two_groups_at_once_sqlite_one(monkeypatch):
    # PostgreSQL flushes concurrent commits together: a view need not wait for the group
    # in flight. SQLite writes one transaction at a time: a second group would only wait.
    release = threading.Event()
    original = batch._insert
    calls: list[list[str]] = []

    def stuck(rows: list[batch.Row]) -> None:
        calls.append([r.path for r in rows])
        release.wait(5)
        original(rows)

    monkeypatch.setattr(batch, "_insert", stuck)
    threads, outcome = in_threads(["/first", "/second", "/third"])
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.2)  # each arrives while the ones before are in the database
        if connection.vendor == "postgresql":
            assert calls == [["/first"], ["/second"]]  # the third waits for one of them
        else:
            assert calls == [["/first"]]  # the others wait for it
        assert not outcome
    finally:
        release.set()
        for thread in threads:
            thread.join(5)
    assert outcome == {"/first": "stored", "/second": "stored", "/third": "stored"}
    assert PageView.objects.count() == 3
