"""The batched writer for real: its own thread and connection, one transaction per group,
and a page view acknowledged only once committed (``transactional_db``: no test transaction
hides the writer's commits)."""

from __future__ import annotations

import datetime as dt
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
    """The size of each group the writer inserts; the first insert is slowed down so that
    the rows sent meanwhile queue up behind it."""
    sizes: list[int] = []
    original = PageView.objects.bulk_create

    def bulk_create(objs: list[PageView], *args: Any, **kwargs: Any) -> list[PageView]:
        assert threading.current_thread().name == "gardien-audience-writer"
        sizes.append(len(objs))
        if len(sizes) == 1:
            time.sleep(0.2)
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(PageView.objects, "bulk_create", bulk_create)
    return sizes


def test_an_acknowledged_page_view_is_committed(published, post_view):
    response = post_view(keep_test_connection=False)

    assert response.status_code == 204
    assert batch._writer is not None and batch._writer.thread.is_alive()
    # Read from this thread's own connection: the writer's transaction is committed.
    assert PageView.objects.filter(path="/adhesion").count() == 1


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


def test_a_row_the_database_refuses_costs_only_its_own_view():
    writer = batch.Writer()
    group = [batch._Pending(row("/a")), batch._Pending(row("/b", viewed_at=None))]
    group.append(batch._Pending(row("/c")))

    writer._write(group)

    assert [p.done.is_set() for p in group] == [True, True, True]
    assert [p.error is None for p in group] == [True, False, True]
    assert sorted(PageView.objects.values_list("path", flat=True)) == ["/a", "/c"]
    writer.stop()


def test_a_view_that_could_not_be_stored_is_not_acknowledged(published, post_view, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(PageView.objects, "bulk_create", refuse)

    response = post_view(keep_test_connection=False)

    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert not PageView.objects.exists()


def test_stopping_writes_what_is_queued_and_closes_the_connection(groups):
    writer = batch._current()
    done = threading.Event()

    def write() -> None:
        writer.write(row("/first"))
        done.set()

    threading.Thread(target=write).start()
    time.sleep(0.05)  # the first group is being written (slowly)
    pending = batch._Pending(row("/queued"))
    writer.queue.put(pending)

    batch.stop()

    assert not writer.thread.is_alive()
    assert done.is_set() and pending.done.is_set()
    assert PageView.objects.count() == 2


def test_a_process_forked_after_its_parent_wrote_gets_a_writer_of_its_own(monkeypatch):
    parent = batch._current()
    monkeypatch.setattr(batch.os, "getpid", lambda: parent.pid + 1)

    child = batch._current()

    assert child is not parent and child.pid == parent.pid + 1
    child.stop()
    monkeypatch.undo()
    parent.stop()


def test_inside_a_transaction_the_row_is_written_there():
    from django.db import transaction

    with transaction.atomic():
        batch.write(row("/inline", viewed_at=clock.now() - dt.timedelta(seconds=1)))
        assert connection.in_atomic_block
        assert PageView.objects.filter(path="/inline").exists()
    assert batch._writer is None
