"""A stop asked of a long job (SIGTERM, SIGINT), checked between its batches.

The worker and ``gardien purge`` call :func:`request` from their signal handlers; a job
asks :func:`requested` before it starts its next batch, so a batch is never left half done::

    for batch in batches:
        if stop.requested():
            break
        ...
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_event = threading.Event()


def request() -> None:
    _event.set()


def requested() -> bool:
    return _event.is_set()


def clear() -> None:
    _event.clear()


@contextmanager
def on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT ask for a stop for the duration of the block (main thread only);
    a second one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    clear()
    sigs = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in sigs}

    def handler(signum: int, frame: FrameType | None) -> None:
        if requested():
            raise KeyboardInterrupt
        request()

    for sig in sigs:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        clear()
