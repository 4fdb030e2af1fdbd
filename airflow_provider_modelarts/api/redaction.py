"""Secrets out of error texts: whatever a server echoes back, an error never quotes a credential.

A server or a proxy may echo the request it received in an error body: its headers (the
``Authorization`` signature, ``X-Security-Token``, ``X-Auth-Token``) or its body (the IAM password).
Error texts quote bodies, so the session passes every error that leaves it through
:func:`redact_error`, with a :class:`Redactor` of every secret it knows and every credential it sent.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsResponseError

REDACTED = "***"
# The signature part of an AK/SK Authorization value, in plain, URL-encoded or JSON-escaped form.
_SIGNATURE = re.compile(r"(Signature\s*(?:=|%3[dD]|\\u003[dD])\s*)[0-9a-fA-F]{16,}")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")
_CLIPPED = "..."  # how a clipped error message ends (see ``errors._clip``)
_MIN_CLIPPED_PREFIX = 4  # a secret's first characters left before a clip are removed from this many
_MIN_DERIVED = 8  # encoded forms shorter than this match too much ordinary text


def encodings(secret: str) -> set[str]:
    """The forms in which ``secret`` may come back in a body: as is, JSON-escaped (a password echoed
    with the JSON body it was sent in), HTML-escaped, with its whitespace collapsed (as error messages
    are); each of them URL-encoded (either hex case) and in base64 (standard or URL-safe, at each of
    the three offsets it may have inside a longer encoded text)."""
    plain = {secret, html.escape(secret), " ".join(secret.split())}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        plain |= {escaped, escaped.replace("/", "\\/")}
    forms = set(plain)
    for form in plain:
        for quoted in (quote(form, safe=""), quote(form), quote_plus(form, safe="")):
            forms |= {quoted, _PERCENT_ESCAPE.sub(lambda m: m[0].lower(), quoted)}
        raw = form.encode("utf-8")
        for skip in range(3):
            aligned = raw[skip:]
            aligned = aligned[: len(aligned) // 3 * 3]
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                forms |= {encode(aligned).decode(), encode(raw).decode().rstrip("=")}
    return {form for form in forms if len(form) >= _MIN_DERIVED or form in plain}


class Redactor:
    """Replaces every known secret, in any of its :func:`encodings`, with ``***``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= encodings(secret)
        self._forms = sorted(forms, key=len, reverse=True)  # longest first: a form inside another

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        text = _SIGNATURE.sub(lambda m: m[1] + REDACTED, text)
        return self._clipped_prefixes(text)

    def _clipped_prefixes(self, text: str) -> str:
        """A message clipped in the middle of a secret: its first characters before ``...``."""
        start = 0
        while (at := text.find(_CLIPPED, start)) != -1:
            before = text[:at]
            cut = max((self._prefix_at_end(before, form) for form in self._forms), default=0)
            if cut:
                text = before[:-cut] + REDACTED + text[at:]
                at += len(REDACTED) - cut
            start = at + len(_CLIPPED)
        return text

    @staticmethod
    def _prefix_at_end(text: str, form: str) -> int:
        """The length of the longest start of ``form`` (at least a few characters) ending ``text``."""
        head = form[:_MIN_CLIPPED_PREFIX]
        if len(head) < _MIN_CLIPPED_PREFIX:
            return 0
        found = text.find(head, max(0, len(text) - len(form) + 1))
        while found != -1:
            if form.startswith(text[found:]):
                return len(text) - found
            found = text.find(head, found + 1)
        return 0


def redact_error(error: BaseException, redact: Redactor) -> None:
    """Remove secrets from ``error``'s text, and from every provider error it was raised from."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ModelArtsApiError):
            current.error_msg = redact(current.error_msg)
            current.note = redact(current.note) if current.note else current.note
            current.request_id = redact(current.request_id) if current.request_id else current.request_id
            current.args = (current._describe(),)
        elif isinstance(current, ModelArtsError):
            current.args = tuple(redact(a) if isinstance(a, str) else a for a in current.args)
            if isinstance(current, ModelArtsResponseError) and current.request_id:
                current.request_id = redact(current.request_id)
        pending += [current.__cause__, current.__context__]
