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

import html
import re
from dataclasses import dataclass
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gardien.manifest.schema import Manifest

#: Where each reader's unsubscribe link goes in a letter rendered once.
LINK = "\x00unsubscribe\x00"


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

    def to(self, address: str, token: str, msgid: str | None = None) -> EmailMultiAlternatives:
        """The email for one reader, with their unsubscribe link and the list headers."""
        visible = unsubscribe_url(token, self.lang)
        one_click = unsubscribe_url(token)
        message = EmailMultiAlternatives(
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
