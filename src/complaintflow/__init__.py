"""complaintflow: every customer complaint as a state machine, from received to archived.

>>> import complaintflow as cf
>>> cf.State.RECEIVED.value
'received'
"""

import contextlib

from complaintflow import exceptions as exceptions
from complaintflow._clock import Clock, FrozenClock, SystemClock
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow._values import Actor, Finding, Money, Offer, State, Tier
from complaintflow._version import __version__
from complaintflow._workflow import CHANNELS, Listener, Workflow
from complaintflow.exceptions import (
    AuthorityExceeded,
    ComplaintflowError,
    ConcurrencyError,
    ConfigError,
    CurrencyMismatch,
    IntegrityError,
    InvalidTransition,
    NotAuthorized,
    NotFound,
    OperationalError,
    SchemaVersionError,
    StoreError,
    UnknownCommand,
    ValidationError,
)
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
    "IntegrityError",
    "InvalidTransition",
    "Listener",
    "Money",
    "NotAuthorized",
    "NotFound",
    "Offer",
    "OperationalError",
    "SchemaVersionError",
    "State",
    "StoreError",
    "SystemClock",
    "Tier",
    "UnknownCommand",
    "ValidationError",
    "Workflow",
    "__version__",
    "load_policies",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("complaintflow._"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = "complaintflow"
del _name, _obj
