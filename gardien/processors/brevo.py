"""A small client for Brevo's contacts API (v3): the newsletter's list of subscribers.

Brevo sends the organisation's newsletter; Gardien keeps its list of subscribers in step
with consent. Each method is one Brevo operation (paths under ``GARDIEN_BREVO_BASE_URL``,
https://api.brevo.com/v3 by default), authenticated with the ``api-key`` header:

================  =======================================================================
``subscribe``     createContact: ``POST /contacts`` with ``updateEnabled: true``,
                  ``listIds: [list]`` and ``emailBlacklisted: false`` (a new subscription
                  lifts an earlier blocklisting); 201 created or 204 updated.
``change_email``  updateContact: ``PUT /contacts/{email}`` with ``attributes.EMAIL``;
                  404 (no such contact) is not an error.
``unsubscribe``   removeContactFromList: ``POST /contacts/lists/{list}/contacts/remove``
                  with ``emails: [email]``; a contact that is not (or no longer) in the
                  list counts as done. A 404 means the *list* does not exist: that is a
                  configuration error and raised, since the person may still be in the
                  list that is really used.
``blocklist``     updateContact with ``emailBlacklisted: true``; 404 is nothing to do.
``delete``        deleteContact: ``DELETE /contacts/{email}``; 404 means already gone.
``get``           getContactInfo: ``GET /contacts/{email}``; 404 gives None.
``list_members``  getContactsFromList: ``GET /contacts/lists/{list}/contacts``, pages of
                  at most 500 (the description's maximum for ``limit``), oldest first.
================  =======================================================================

A contact is named by its email address, percent-encoded as one path segment (``+`` and
``@`` included), with ``identifierType=email_id`` so that Brevo never reads it as an id
or a phone number.

Errors: every failure is a :class:`BrevoError`, whose text never holds an email address
(it is scrubbed) nor the API key, and names the Brevo operation rather than the URL.

* :class:`BrevoUnavailable` is worth retrying: a timeout, a connection error, a 5xx, 429
  (too many requests), 408, 425 (Brevo's "too early", documented on createContact and
  updateContact), or an answer that cannot be read. ``retry_after`` gives the seconds
  Brevo asked to wait, from ``Retry-After`` (seconds or an HTTP date) or else Brevo's
  ``x-sib-ratelimit-reset``.
* :class:`BrevoRejected` will not change on retry: any other 4xx, such as 400 (invalid or
  duplicate parameter), 401 (wrong API key), 403, or a 404 not listed above. ``code`` is
  Brevo's ``code`` field (``invalid_parameter``, ``duplicate_parameter``...).

httpx logs each request's URL at INFO, and a contact's URL holds its address
(percent-encoded, which the log redaction does not recognise): importing this module adds
a filter to the ``httpx`` logger that replaces any URL path segment holding an address
with ``[email]``.

The client does not retry by itself: the outbox (gardien.processors.outbox) retries a
task with backoff, and the task may use ``retry_after``.

Why not the official SDK: brevo-python 5.1.0 (generated with Fern) is a 1 MB wheel of 925
modules (7.8 MB installed) covering the whole API, on httpx and pydantic; it is typed and
can be pointed at a fake server (``base_url=`` or ``httpx_client=``). But it retries by
itself, sleeping in the calling thread (twice by default, up to 60 s a wait, on 408, 409,
429 and 5xx), which would stack with the outbox's backoff and block a worker; it reads
``Retry-After`` and ``x-ratelimit-reset`` only to sleep, not Brevo's
``x-sib-ratelimit-reset``, and does not expose the delay; timeouts and connection errors
come out as bare httpx exceptions; its errors' ``str()`` prints the answer's headers and
body, where Brevo may echo an email address; and it puts the identifier in the path
without percent-encoding it, where Brevo asks for an encoded email. Seven operations on
one resource do not justify that dependency: this module is one file, on httpx (already a
dependency), with the error model Gardien needs, and it is tested against a fake that
checks every request with Brevo's own OpenAPI description.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import re
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from django.conf import settings

from gardien import __version__
from gardien.processors.outbox import Permanent, scrub

__all__ = [
    "BrevoClient",
    "BrevoError",
    "BrevoRejected",
    "BrevoUnavailable",
    "RemoteContact",
    "list_id",
]

DEFAULT_BASE_URL = "https://api.brevo.com/v3"
#: The description's maximum for ``limit`` on getContactsFromList.
MAX_PAGE_SIZE = 500
#: Statuses that are worth retrying besides 5xx: request timeout, too early, too many.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class BrevoError(Exception):
    """A call to Brevo failed. ``str()`` never holds an email address nor the API key."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(scrub(message))
        self.status = status


class BrevoUnavailable(BrevoError):
    """Brevo could not be reached or asked to come back later: worth retrying."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        #: Seconds Brevo asked to wait, when it said so.
        self.retry_after = retry_after


class BrevoRejected(BrevoError, Permanent):
    """Brevo refused the call, and would refuse it again (a 4xx other than 408/425/429): the
    outbox does not retry it and shows it to the DPO (gardien.processors.outbox.Permanent)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message, status=status)
        #: Brevo's ``code`` field, e.g. "invalid_parameter", if it gave one.
        self.code = code
        #: Brevo's ``message`` field, scrubbed of email addresses.
        self.message = scrub(detail)


@dataclass(frozen=True)
class RemoteContact:
    """A contact as Brevo holds it."""

    email: str
    list_ids: frozenset[int]
    blocklisted: bool  # Brevo's emailBlacklisted


def list_id() -> int:
    """The id of the Brevo list that holds the newsletter's subscribers (a setting)."""
    return int(settings.GARDIEN_BREVO_LIST_ID)


class BrevoClient:
    """Brevo's contacts API, synchronous; one instance holds one connection pool."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Brevo needs an API key (GARDIEN_BREVO_API_KEY).")
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            headers={
                "api-key": api_key,
                "accept": "application/json",
                "user-agent": f"Gardien/{__version__}",
            },
        )

    @classmethod
    def from_settings(cls) -> BrevoClient | None:
        """A client configured by the GARDIEN_BREVO_* settings; None when Brevo is off."""
        api_key = settings.GARDIEN_BREVO_API_KEY
        if not api_key:
            return None
        return cls(
            api_key,
            base_url=settings.GARDIEN_BREVO_BASE_URL,
            timeout=float(settings.GARDIEN_BREVO_TIMEOUT),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BrevoClient {self._http.base_url}>"

    # --- operations

    def subscribe(self, email: str, list_id: int) -> None:
        """Create or update the contact, put it in the list, and lift any blocklisting."""
        self._call(
            "createContact",
            "POST",
            "contacts",
            json={
                "email": email,
                "listIds": [list_id],
                "updateEnabled": True,
                "emailBlacklisted": False,
            },
        )

    def change_email(self, old: str, new: str) -> None:
        """Rectify the contact's address; a contact Brevo does not hold is left alone."""
        self._call(
            "updateContact",
            "PUT",
            _contact_path(old),
            params=_BY_EMAIL,
            json={"attributes": {"EMAIL": new}},
            absent_ok=True,
        )

    def unsubscribe(self, email: str, list_id: int) -> None:
        """Take the contact out of the list; one that is not in it (or unknown) is done."""
        response = self._call(
            "removeContactFromList",
            "POST",
            f"contacts/lists/{int(list_id)}/contacts/remove",
            json={"emails": [email]},
            accept=(400,),
        )
        if response is not None and response.status_code == 400:
            # Brevo answers 400 when no address could be removed ("already removed from
            # list and/or does not exist"), but also for a malformed one: look before
            # counting it as done rather than trusting the wording.
            contact = self.get(email)
            if contact is not None and list_id in contact.list_ids:
                raise self._rejected("removeContactFromList", response)

    def blocklist(self, email: str) -> None:
        """Blocklist the contact for email; a contact Brevo does not hold is left alone."""
        self._call(
            "updateContact",
            "PUT",
            _contact_path(email),
            params=_BY_EMAIL,
            json={"emailBlacklisted": True},
            absent_ok=True,
        )

    def delete(self, email: str) -> None:
        """Delete the contact from Brevo; one already gone is fine."""
        self._call(
            "deleteContact", "DELETE", _contact_path(email), params=_BY_EMAIL, absent_ok=True
        )

    def get(self, email: str) -> RemoteContact | None:
        """The contact as Brevo holds it, or None."""
        response = self._call(
            "getContactInfo", "GET", _contact_path(email), params=_BY_EMAIL, absent_ok=True
        )
        if response is None:
            return None
        data = self._json("getContactInfo", response)
        try:
            return _contact(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BrevoUnavailable(
                "Brevo's answer to getContactInfo is not a contact", status=response.status_code
            ) from None

    def list_members(self, list_id: int, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[str]:
        """Every email address in the list, page by page (each address once)."""
        for contact in self.list_contacts(list_id, page_size=page_size):
            yield contact.email

    def list_contacts(
        self, list_id: int, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[RemoteContact]:
        """Every contact in the list, page by page (each address once), with its blocklist."""
        limit = max(1, min(page_size, MAX_PAGE_SIZE))
        offset = 0
        seen: set[str] = set()
        while True:
            response = self._call(
                "getContactsFromList",
                "GET",
                f"contacts/lists/{int(list_id)}/contacts",
                # Oldest first: a contact added while paging lands on a later page instead
                # of shifting every page by one.
                params={"limit": limit, "offset": offset, "sort": "asc"},
            )
            assert response is not None
            data = self._json("getContactsFromList", response)
            try:
                contacts = data["contacts"]
                count = int(data["count"]) if data.get("count") is not None else None
                found = [_contact(c) for c in contacts if c.get("email")]
            except (KeyError, TypeError, ValueError, AttributeError):
                raise BrevoUnavailable(
                    "Brevo's answer to getContactsFromList is not a page of contacts",
                    status=response.status_code,
                ) from None
            for contact in found:
                if contact.email not in seen:
                    seen.add(contact.email)
                    yield contact
            offset += len(contacts)
            if not contacts or len(contacts) < limit or (count is not None and offset >= count):
                return

    # --- plumbing

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        absent_ok: bool = False,
        accept: Collection[int] = (),
    ) -> httpx.Response | None:
        """Send one request; return a 2xx answer (or one whose status is in ``accept``),
        None for a 404 when ``absent_ok``, and raise a BrevoError for anything else."""
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise BrevoUnavailable(
                f"Brevo did not answer {operation} in time ({_name(exc)})"
            ) from None
        except httpx.UnsupportedProtocol:
            raise BrevoRejected(
                f"Brevo cannot be called for {operation}: GARDIEN_BREVO_BASE_URL is not an "
                "http(s) URL"
            ) from None
        except httpx.TransportError as exc:
            reason = f"{_name(exc)}: {self._clean(str(exc))}"
            raise BrevoUnavailable(
                f"Brevo could not be reached for {operation} ({reason})"
            ) from None
        status = response.status_code
        if 200 <= status < 300 or status in accept:
            return response
        if status == 404 and absent_ok:
            return None
        if status >= 500 or status in RETRYABLE_STATUSES:
            _code, detail = self._error_fields(response)
            raise BrevoUnavailable(
                f"Brevo answered {status} to {operation}" + (f": {detail}" if detail else ""),
                status=status,
                retry_after=_retry_after(response.headers),
            )
        raise self._rejected(operation, response)

    def _rejected(self, operation: str, response: httpx.Response) -> BrevoRejected:
        code, detail = self._error_fields(response)
        status = response.status_code
        summary = f"Brevo refused {operation} ({status}{' ' + code if code else ''})"
        if status == 401:
            summary += ": check GARDIEN_BREVO_API_KEY"
        return BrevoRejected(
            summary + (f": {detail}" if detail else ""), status=status, code=code, detail=detail
        )

    def _error_fields(self, response: httpx.Response) -> tuple[str | None, str]:
        """Brevo's ``code`` and ``message`` (cleaned), when the answer is Brevo's JSON."""
        try:
            data = response.json()
        except ValueError:
            return None, ""
        if not isinstance(data, dict):
            return None, ""
        code = data.get("code")
        message = data.get("message")
        return (
            self._clean(code) if isinstance(code, str) else None,
            self._clean(message) if isinstance(message, str) else "",
        )

    def _json(self, operation: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise BrevoUnavailable(
                f"Brevo's answer to {operation} is not JSON", status=response.status_code
            ) from None

    def _clean(self, text: str) -> str:
        """Text from Brevo or httpx without email addresses or the API key."""
        return scrub(text.replace(self._api_key, "[api key]"), limit=300)


class _HideAddressesInUrls(logging.Filter):
    """Replace, in httpx's log records, URL path segments that hold an email address."""

    SEGMENT = re.compile(r"(?<=/)[^/?#\s\"']*(?:@|%40)[^/?#\s\"']*", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handlers' own filters
            return True
        cleaned = self.SEGMENT.sub("[email]", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _hide_addresses_in_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _HideAddressesInUrls) for f in httpx_logger.filters):
        httpx_logger.addFilter(_HideAddressesInUrls())


_hide_addresses_in_httpx_logs()

_BY_EMAIL = {"identifierType": "email_id"}


def _contact_path(email: str) -> str:
    return "contacts/" + quote(email, safe="")


def _contact(data: Any) -> RemoteContact:
    return RemoteContact(
        email=str(data["email"]),
        list_ids=frozenset(int(i) for i in data.get("listIds") or ()),
        blocklisted=bool(data.get("emailBlacklisted", False)),
    )


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds or HTTP date), else x-sib-ratelimit-reset."""
    value = headers.get("retry-after", "").strip()
    if value:
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            pass
        else:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)  # HTTP dates are GMT
            return max(0.0, when.timestamp() - time.time())
    return _seconds(headers.get("x-sib-ratelimit-reset", "").strip())


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
