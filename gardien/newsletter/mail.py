"""Every email the newsletter sends: the confirmation, the welcome, campaigns and policy
notices. Each one:

- comes from the organisation's name (the manifest's controller) at DEFAULT_FROM_EMAIL;
- ends with the organisation's postal address and, on its own line, that the reader can
  unsubscribe or object at any time, with a visible link;
- carries ``List-Unsubscribe: <…/newsletter/unsubscribe/TOKEN>`` and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 2369, RFC 8058), so that mail
  clients offer a one-click unsubscribe — the confirmation email too, where it cancels the
  pending sign-up;
- is plain text plus a simple HTML version of the same words.

Campaigns render their text once (:class:`Letter`) and only put each reader's link in.
"""

from __future__ import annotations

import email.policy
import html
import re
import secrets
from dataclasses import dataclass, field
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gardien.manifest.schema import Manifest

#: Where each reader's unsubscribe link goes in a letter rendered once.
LINK = "\x00unsubscribe\x00"
#: The longest line a message may have (RFC 5322). Headers are not folded before it, so
#: ``List-Unsubscribe: <https://…>`` stays literal, as RFC 2369 and RFC 8058 clients expect
#: (folded at 78, Python's email package would turn the long URL into encoded-words), and
#: text with long lines (links) travels as 8-bit rather than quoted-printable.
LINE_LIMIT = 998


class ListEmail(EmailMultiAlternatives):
    """An email whose headers and lines are kept whole up to :data:`LINE_LIMIT`."""

    def message(self, *, policy: Any = email.policy.default) -> Any:
        return super().message(policy=policy.clone(max_line_length=LINE_LIMIT))


def unsubscribe_url(token: str, lang: str | None = None) -> str:
    if lang is None:
        return settings.SITE_URL + reverse("newsletter-unsubscribe", args=[token])
    return settings.SITE_URL + reverse("newsletter-unsubscribe-lang", args=[lang, token])


def confirm_url(token: str, lang: str) -> str:
    return settings.SITE_URL + reverse("newsletter-confirm-lang", args=[lang, token])


def sender(manifest: Manifest) -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return formataddr((manifest.controller.name, address))


def message_id(kind: str, key: object) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "gardien.invalid"
    return f"<newsletter.{kind}.{key}@{domain}>"


@dataclass(frozen=True)
class Letter:
    """An email's words, rendered once, with :data:`LINK` where each reader's link goes."""

    subject: str
    text: str
    html: str
    from_email: str
    lang: str

    _raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to(self, address: str, token: str, msgid: str | None = None) -> EmailMultiAlternatives:
        """The email for one reader, with their unsubscribe link and the list headers."""
        visible = unsubscribe_url(token, self.lang)
        one_click = unsubscribe_url(token)
        message = ListEmail(
            subject=self.subject,
            body=self.text.replace(LINK, visible),
            from_email=self.from_email,
            to=[address],
            headers={
                "List-Unsubscribe": f"<{one_click}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Message-ID": msgid or make_msgid(domain=_domain()),
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(self.html.replace(LINK, html.escape(visible)), "text/html")
        return message

    def raw(self, address: str, token: str, msgid: str) -> bytes | None:
        """The SMTP bytes of :meth:`to` for one reader of a campaign, from a copy rendered
        once with placeholders: only the address, the token and the Message-ID change.
        None for an address the placeholder cannot stand for (not plain ASCII)."""
        if not address.isascii() or any(c in address for c in '\r\n<>"\\ ,'):
            return None
        if not self._raw:
            marks = {
                "address": f"reader-{secrets.token_hex(8)}@placeholder.invalid",
                "token": "t" + secrets.token_hex(21) + "x",  # as long as a token (44)
                "msgid": f"<placeholder.{secrets.token_hex(8)}@placeholder.invalid>",
            }
            sample = self.to(marks["address"], marks["token"], marks["msgid"])
            sample.extra_headers["Date"] = formatdate(localtime=False)
            data = sample.message(policy=email.policy.SMTP).as_bytes()
            if data.count(marks["token"].encode()) < 2 or marks["msgid"].encode() not in data:
                return None  # encoded beyond recognition: the caller takes the slow path
            self._raw.update(marks=marks, data=data)
        marks, data = self._raw["marks"], self._raw["data"]
        return (
            data.replace(marks["address"].encode(), address.encode())
            .replace(marks["token"].encode(), token.encode())
            .replace(marks["msgid"].encode(), msgid.encode())
        )


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "gardien.invalid"


def letter(manifest: Manifest, lang: str, template: str, context: dict[str, object]) -> Letter:
    """Render ``newsletter/email/<template>`` (subject, text, HTML) with the common footer."""
    with translation.override(lang):
        full = {
            "organisation": manifest.controller.name,
            "address": manifest.controller.address,
            "policy_url": settings.SITE_URL + reverse("policy-lang", kwargs={"lang": lang}),
            "site_url": settings.SITE_URL,
            "unsubscribe_url": LINK,
            "lang": lang,
            **context,
        }
        subject = render_to_string(f"newsletter/email/{template}_subject.txt", full)
        text = render_to_string(f"newsletter/email/{template}.txt", full)
        html_body = render_to_string(f"newsletter/email/{template}.html", full)
    return Letter(" ".join(subject.split()), text, html_body, sender(manifest), lang)


# --- a small Markdown for campaigns ---------------------------------------------------

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m[2])}">{m[1]}</a>', escaped)
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(r"<em>\1</em>", escaped)


def markdown_to_html(source: str) -> str:
    """Paragraphs, ``#`` headings, ``-``/``*`` lists, links, bold and italics; everything
    else is text, escaped. Enough for a newsletter; nothing in it can run in a mail client."""
    blocks = re.split(r"\n\s*\n", source.replace("\r\n", "\n").strip())
    out: list[str] = []
    for block in blocks:
        lines = block.split("\n")
        heading = re.match(r"^(#{1,3})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            level = len(heading[1]) + 1
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif all(re.match(r"^\s*[-*]\s+", line) for line in lines):
            items = "".join(f"<li>{_inline(re.sub(r'^\s*[-*]\s+', '', x))}</li>" for x in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append("<p>" + "<br>\n".join(_inline(line) for line in lines) + "</p>")
    return "\n".join(out)


def markdown_to_text(source: str) -> str:
    """The same text for the plain part: links written out, emphasis marks dropped."""
    text = _LINK.sub(lambda m: f"{m[1]} ({m[2]})", source.replace("\r\n", "\n").strip())
    return _EM.sub(r"\1", _STRONG.sub(r"\1", text))
