"""An SMTP sink for the newsletter benchmark: accepts every message, keeps only its envelope
recipients and Message-ID, in memory, and says what it received when asked.

    python bench/_smtp_sink.py PORT        # serves 127.0.0.1:PORT until killed

One blocking thread per connection, reading with large ``recv`` calls and finding the end of
a DATA section by searching the bytes for the closing ``CRLF . CRLF`` rather than line by
line: a message costs the sink about what the kernel's loopback costs (four replies, a few
reads), several times less than an asyncio server such as aiosmtpd, so that the sink adds
as little as it can to what each sender waits for. It speaks what smtplib and Django's SMTP
backend use: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. A DATA section cut short by a
closed connection (a sender killed half way) is not a message: it is counted apart, as
``partial``.

Control commands, on any connection (the benchmark keeps one open):

- ``XSTAT``: ``250 <messages> <partial> <first> <last> <cpu>``: messages accepted, DATA
  sections cut short, the ``time.monotonic()`` of the first and last message accepted
  (``-1`` before any; the clock is the machine's, the same in every process), and the CPU
  seconds (user and system) this process has used;
- ``XDUMP <path>``: writes every message accepted, in order, as a JSON line
  ``{"rcpt": [...], "msgid": "<…>", "size": n}`` to ``<path>``;
- ``XCLEAR``: forgets every message received so far.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time

END = b"\r\n.\r\n"
MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
EHLO = b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.messages: list[tuple[list[str], str, int]] = []
        self.partial = 0
        self.first = -1.0
        self.last = -1.0

    def accept(self, rcpt: list[str], data: bytes) -> None:
        found = MESSAGE_ID.search(data, 0, data.find(b"\r\n\r\n"))
        msgid = found[1].decode("ascii", "replace") if found else ""
        now = time.monotonic()
        with self.lock:
            self.messages.append((rcpt, msgid, len(data)))
            self.last = now
            if self.first < 0:
                self.first = now

    def stat(self) -> str:
        cpu = time.process_time()
        return f"{len(self.messages)} {self.partial} {self.first:.6f} {self.last:.6f} {cpu:.6f}"

    def dump(self, path: str) -> None:
        with self.lock, open(path, "w", encoding="utf-8") as out:
            for rcpt, msgid, size in self.messages:
                out.write(json.dumps({"rcpt": rcpt, "msgid": msgid, "size": size}) + "\n")


def command(store: Store, line: bytes, rcpt: list[str]) -> tuple[bytes, bool]:
    """The reply to one command line, and whether a DATA section follows."""
    verb, _, arg = line.decode("utf-8", "replace").partition(" ")
    verb = verb.upper()
    if verb == "MAIL" or verb == "RSET":
        rcpt.clear()
    elif verb == "RCPT":
        rcpt.append(arg.partition(":")[2].strip().split(" ")[0].strip("<>"))
    elif verb == "DATA":
        if not rcpt:
            return b"503 5.5.1 no recipient\r\n", False
        return b"354 end with <CRLF>.<CRLF>\r\n", True
    elif verb == "EHLO":
        return EHLO, False
    elif verb == "HELO":
        return b"250 sink\r\n", False
    elif verb == "XSTAT":
        return f"250 {store.stat()}\r\n".encode(), False
    elif verb == "XDUMP":
        store.dump(arg.strip())
    elif verb == "XCLEAR":
        store.clear()
    elif verb != "NOOP":
        return b"502 5.5.2 not implemented\r\n", False
    return b"250 2.0.0 ok\r\n", False


def session(store: Store, conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    send, recv = conn.sendall, conn.recv
    buffer, in_data, searched = b"", False, 0
    rcpt: list[str] = []
    try:
        send(b"220 sink ESMTP\r\n")
        while True:
            chunk = recv(1 << 18)
            if not chunk:
                break
            buffer = buffer + chunk if buffer else chunk
            while buffer:
                if in_data:
                    end = buffer.find(END, max(0, searched - len(END)))
                    if end < 0:
                        searched = len(buffer)
                        break
                    store.accept(rcpt, buffer[: end + 2])
                    buffer, in_data, searched, rcpt = buffer[end + len(END) :], False, 0, []
                    send(b"250 2.0.0 accepted\r\n")
                    continue
                end = buffer.find(b"\r\n")
                if end < 0:
                    break
                line, buffer = buffer[:end], buffer[end + 2 :]
                if line[:4].upper() == b"QUIT":
                    send(b"221 2.0.0 bye\r\n")
                    return
                reply, in_data = command(store, line, rcpt)
                send(reply)
    except OSError:
        pass
    finally:
        if in_data:
            with store.lock:
                store.partial += 1
        conn.close()


def serve(port: int) -> None:
    store = Store()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print(f"sink listening on 127.0.0.1:{port}", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=session, args=(store, conn), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
