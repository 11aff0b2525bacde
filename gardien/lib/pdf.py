"""HTML to PDF with WeasyPrint, fetching nothing.

    from gardien.lib import pdf

    pdf.from_html(html)      # bytes of a PDF; raises pdf.Unavailable without Pango

A document Gardien prints (a register, a letter) is self-contained: its styles are inline
and it names no image, so the fetcher refuses every URL rather than let a text taken from
the manifest make the server open a connection.
"""

from __future__ import annotations

from typing import Any


class Unavailable(RuntimeError):
    """WeasyPrint's Python package is installed, the system's Pango library is not."""


def from_html(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as exc:  # the package loads Pango when imported
        raise Unavailable(
            "PDF needs the Pango library on this server; install it (Debian: "
            "apt install libpango-1.0-0 libpangoft2-1.0-0) or choose another format."
        ) from exc

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError("a Gardien document loads nothing")

    return bytes(HTML(string=html, url_fetcher=no_fetch).write_pdf())
