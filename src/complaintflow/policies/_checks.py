"""Checks the policy constructors share, so that Python and TOML are validated once.

Each raises :class:`~complaintflow.exceptions.ValidationError` naming the argument, which is
also the TOML key: a loader that maps keys to constructor arguments reports it as a
:class:`~complaintflow.exceptions.ConfigError` with the key's line
(:meth:`~complaintflow.policies._config.ConfigContext.build`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from complaintflow.exceptions import ValidationError

__all__ = ["MAX_SPAN", "duration", "positive_decimal", "whole_number", "words"]

#: The longest window or deadline a policy takes: 100 years, in any unit.
MAX_SPAN: Final = timedelta(days=36525)
#: The largest multiple a legal floor takes (of the price or of the loss).
MAX_MULTIPLE: Final = Decimal(1000)


def whole_number(field: str, value: object, minimum: int | None = None,
                 maximum: int | None = None) -> int:
    """``value`` as an ``int`` within ``minimum`` … ``maximum`` (never a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"expected a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValidationError(field, f"must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValidationError(field, f"must be at most {maximum}, got {value!r}")
    return value


def duration(field: str, value: object, unit: str) -> timedelta:
    """A positive, finite ``value`` in ``unit`` ("days" or "hours") of at most
    :data:`MAX_SPAN`, as a ``timedelta``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"expected a positive number of {unit}, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(field, f"expected a positive, finite number of {unit}, got {value!r}")
    limit = MAX_SPAN / timedelta(**{unit: 1})
    if value > limit:
        raise ValidationError(field, f"must be at most {limit:g} {unit} (100 years), got {value!r}")
    return timedelta(**{unit: value})


def positive_decimal(field: str, value: object, maximum: Decimal = MAX_MULTIPLE) -> Decimal:
    """A positive, finite number (an int, a Decimal or a numeric string; never a float)
    of at most ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValidationError(field, f"expected a whole or decimal number, got {value!r}")
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise ValidationError(field, f"{value!r} is not a number") from None
    if not dec.is_finite() or dec <= 0:
        raise ValidationError(field, f"must be positive and finite, got {value!r}")
    if dec > maximum:
        raise ValidationError(field, f"must be at most {maximum}, got {value!r}")
    return dec


def words(field: str, value: object) -> tuple[str, ...]:
    """A list of non-empty strings (a bare string is refused, not split into letters)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(field, f"expected a list of strings, got {value!r}")
    out = tuple(value)
    for i, item in enumerate(out):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(field, f"item {i + 1} must be a non-empty string, got {item!r}")
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, f"item {i + 1} is not valid Unicode text") from None
    return out
