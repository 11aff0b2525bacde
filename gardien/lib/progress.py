"""A progress bar for long commands: redrawn in place on a terminal, one line per step of
STEP percent in a log (so a cron mail or CI log stays short)."""

from __future__ import annotations

from typing import Any, TextIO

STEP = 10


class Progress:
    def __init__(self, out: Any, label: str, *, tty: bool | None = None) -> None:
        self.out = out
        self.label = label
        stream: TextIO | None = getattr(out, "_out", None)
        self.tty = tty if tty is not None else bool(stream is not None and stream.isatty())
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if not self.tty and (percent // STEP == self._shown // STEP and done != total):
            return
        self._shown = percent
        bar = "#" * (percent // 5)
        line = f"{self.label:<24} [{bar:<20}] {done}/{total} ({percent}%)"
        self.out.write(f"\r{line}" if self.tty else line, ending="" if self.tty else "\n")
        self.out.flush()

    def end(self) -> None:
        if self.tty and self._shown >= 0:
            self.out.write("")
