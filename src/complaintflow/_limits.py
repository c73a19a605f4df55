"""Limits on text and ids, the same for every command, every loaded history and every store.

Defined once here; :mod:`complaintflow` re-exports the constants so stores (ours and
third-party ones) refuse exactly what the commands refuse.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Final

from complaintflow.exceptions import ValidationError

__all__ = ["COMPLAINT_ID_ALPHABET", "EARLIEST", "ID_ALPHABET", "LATEST", "MAX_CUSTOMER_KEYS",
           "MAX_ID", "MAX_TEXT", "check_complaint_id", "check_customer", "check_id",
           "check_moment", "check_text"]

#: The longest free text (complaint text, reasons, summaries, messages), in characters.
MAX_TEXT: Final = 10_000
#: The longest id (complaint, customer, actor, order, SKU, batch, store, region, brand).
MAX_ID: Final = 64
#: At most this many customer attributes (segment, language, market …) per complaint.
MAX_CUSTOMER_KEYS: Final = 16
#: The characters a complaint, customer or actor id may hold.
ID_ALPHABET: Final = "A-Z a-z 0-9 . _ : @ -"
#: The span of time a command accepts: deadlines computed from a moment stay representable.
EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9000, 1, 1, tzinfo=UTC)

#: The characters of a complaint id (stricter: outbox ids are ``"<complaint id>:<seq>"``).
COMPLAINT_ID_ALPHABET: Final = frozenset(string.ascii_letters + string.digits + "-_.")

_ID: Final = re.compile(r"[A-Za-z0-9._:@-]{1,64}")


def check_complaint_id(field: str, value: object) -> str:
    """``value`` as a complaint id: :func:`check_id`, of :data:`COMPLAINT_ID_ALPHABET` only."""
    text = check_id(field, value)
    bad = sorted(set(text) - COMPLAINT_ID_ALPHABET)
    if bad:
        raise ValidationError(field, f"{text!r} holds {''.join(bad)!r}; complaint ids use ASCII "
                                     "letters, digits, '-', '_' and '.'")
    return text


def _encodable(field: str, value: str) -> None:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, "holds a lone surrogate; not valid Unicode text") from None


def check_text(field: str, value: object, *, limit: int = MAX_TEXT) -> str:
    """``value`` as non-empty text of at most ``limit`` characters, valid Unicode."""
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(field, f"expected a string, got {type(value).__name__}")
        value = str(value)
    if len(value) > limit:
        raise ValidationError(field, f"{len(value)} characters; at most {limit} are kept")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    _encodable(field, value)
    return value


def check_id(field: str, value: object, *, strict: bool = True) -> str:
    """``value`` as an id: at most :data:`MAX_ID` characters; with ``strict`` only the
    characters of :data:`ID_ALPHABET`."""
    text = check_text(field, value, limit=MAX_ID)
    if strict and _ID.fullmatch(text) is None:
        raise ValidationError(field, f"{text!r} is not an id: use {MAX_ID} characters at most "
                                     f"of {ID_ALPHABET}")
    return text


def check_customer(value: object) -> dict[str, str]:
    """Customer attributes: a mapping of at most :data:`MAX_CUSTOMER_KEYS` identifiers
    (``segment``, ``language`` …) to short texts (each at most :data:`MAX_ID`)."""
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        raise ValidationError("customer", f"expected a mapping of strings, got {type(value).__name__}")
    if len(value) > MAX_CUSTOMER_KEYS:
        raise ValidationError("customer", f"at most {MAX_CUSTOMER_KEYS} attributes, got {len(value)}")
    out: dict[str, str] = {}
    for key, item in value.items():
        name = check_id("customer", key)
        out[name] = check_text(f"customer.{name}", item, limit=MAX_ID)
    return out


def check_moment(field: str, value: datetime) -> datetime:
    """``value`` (aware UTC) within :data:`EARLIEST` … :data:`LATEST`."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(field, f"{value.isoformat()} is outside the supported span "
                                     f"{EARLIEST.year}-{LATEST.year}")
    return value
