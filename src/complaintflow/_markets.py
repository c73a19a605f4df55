"""Which markets exist and what currency each trades in: what the model needs of a market.

A complaint belongs to a market (``Complaint.market``, recorded in its ``received``
event); its money is in that market's currency. The market profiles themselves (legal
floors, regulators, calendar) are policy data in :mod:`complaintflow.policies.markets`;
this ground-floor table only knows the codes and currencies, so that replaying a history
needs nothing above the model and still refuses a market nobody defined.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from complaintflow._values import Money
from complaintflow.exceptions import ValidationError

__all__ = ["DEFAULT_MARKET", "MARKET_CURRENCIES", "check_market", "market_currency",
           "register_market_code"]

#: The market of a complaint whose history names none (every history written before
#: markets existed): China, as the library's defaults always assumed.
DEFAULT_MARKET: Final = "CN"
_CODE: Final = re.compile(r"[A-Z][A-Z0-9_-]{1,15}")

_CURRENCIES: dict[str, str] = {"CN": "CNY", "HK": "HKD", "GB": "GBP", "EU": "EUR", "US": "USD"}
#: Market code → ISO 4217 currency, for every market defined (bundled and registered).
MARKET_CURRENCIES: Final = MappingProxyType(_CURRENCIES)


def register_market_code(code: str, currency: str) -> None:
    """Make market ``code`` known, trading in ``currency``. Registering a known code again
    with the same currency changes nothing; with another currency it is refused (histories
    recorded under the code would change their meaning)."""
    if not isinstance(code, str) or _CODE.fullmatch(code) is None:
        raise ValidationError("market", f"expected a market code like 'US' (capitals, digits, "
                                        f"'_' or '-', 2-16 characters), got {code!r}")
    Money.zero(currency)  # refuses what is not an ISO 4217 code, naming the currency
    known = _CURRENCIES.get(code)
    if known is not None and known != currency:
        raise ValidationError("market", f"market {code!r} trades in {known}; it cannot be "
                                        f"defined again in {currency}")
    _CURRENCIES[code] = currency


def check_market(value: object, field: str = "market") -> str:
    """``value`` as the code of a known market, or :class:`ValidationError` naming ``field``."""
    if isinstance(value, str) and value in _CURRENCIES:
        return value
    raise ValidationError(field, f"unknown market {value!r}; known markets: "
                                 f"{', '.join(sorted(_CURRENCIES))}")


def market_currency(code: str) -> str:
    """The currency of market ``code`` (:class:`ValidationError` naming ``market`` if unknown)."""
    return _CURRENCIES[check_market(code)]
