"""complaintflow: every customer complaint as a state machine, from received to archived.

>>> import complaintflow as cf
>>> cf.State.RECEIVED.value
'received'
"""

import contextlib

from complaintflow._clock import Clock, FrozenClock, SystemClock
from complaintflow._errors import (
    AuthorityExceeded,
    ComplaintflowError,
    ConcurrencyError,
    ConfigError,
    CurrencyMismatch,
    InvalidTransition,
    SchemaVersionError,
    StoreError,
    ValidationError,
)
from complaintflow._model import Actor, Complaint, Event, Finding, Money, Offer, State, Tier
from complaintflow._version import __version__
from complaintflow._workflow import CHANNELS, Listener, Workflow
from complaintflow.policies._config import load_policies
from complaintflow.policies.calendar import BusinessCalendar

__all__ = [
    "CHANNELS",
    "Actor",
    "AuthorityExceeded",
    "BusinessCalendar",
    "Clock",
    "Complaint",
    "ComplaintflowError",
    "ConcurrencyError",
    "ConfigError",
    "CurrencyMismatch",
    "Event",
    "Finding",
    "FrozenClock",
    "InvalidTransition",
    "Listener",
    "Money",
    "Offer",
    "SchemaVersionError",
    "State",
    "StoreError",
    "SystemClock",
    "Tier",
    "ValidationError",
    "Workflow",
    "__version__",
    "load_policies",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and getattr(_obj, "__module__", "").startswith("complaintflow._"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = "complaintflow"
del _name, _obj
