"""The refusals of :mod:`complaintflow.relay`, each a :class:`~complaintflow.ComplaintflowError`.

::

    ComplaintflowError
    ├── ValidationError
    │   ├── ConfigError
    │   │   └── MissingExtra       a broker's client is not installed; names the extra
    │   └── InvalidSignature       a webhook's signature, id or timestamp does not check out
    └── RelayError
        └── PublishError           the far side cannot be reached or did not answer: retryable
"""

from __future__ import annotations

import importlib
from types import ModuleType

from complaintflow.exceptions import ComplaintflowError, ConfigError, ValidationError

__all__ = ["InvalidSignature", "MissingExtra", "PublishError", "RelayError", "require"]


class RelayError(ComplaintflowError):
    """Something went wrong getting events out of the store to the far side."""


class PublishError(RelayError):
    """The far side cannot be reached, dropped the connection or did not confirm in time.

    Nothing of the batch is marked published; trying again later may work.
    """


class MissingExtra(ConfigError):
    """The client library a publisher needs is not installed; the message names the extra."""

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        super().__init__("extra", f"{what} needs the {extra!r} extra: "
                                  f"pip install 'complaintflow[{extra}]'")


class InvalidSignature(ValidationError):
    """A webhook delivery whose signature, id or timestamp does not check out."""


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra, what) from None
