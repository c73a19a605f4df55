"""complaintflow: every customer complaint as a state machine, from received to archived.

>>> import complaintflow as cf
>>> cf.State.RECEIVED.value
'received'
"""

import contextlib
import typing

import attrs

from complaintflow import exceptions as exceptions
from complaintflow._async import AsyncListener, AsyncWorkflow
from complaintflow._clock import Clock, FrozenClock, SystemClock
from complaintflow._commands import COMMANDS, Argument, Command
from complaintflow._complaint import Complaint, SlaOutcome, StageClock, register_fold
from complaintflow._erasure import Erasure
from complaintflow._events import Event, register_upcaster
from complaintflow._limits import MAX_ID, MAX_TEXT
from complaintflow._values import Actor, Cause, Finding, Money, Offer, Party, Remedy, State, Tier, TierLabel
from complaintflow._version import __version__
from complaintflow._workflow import CHANNELS, Allowed, Listener, Workflow
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
    "COMMANDS",
    "MAX_ID",
    "MAX_TEXT",
    "Actor",
    "Allowed",
    "Argument",
    "AsyncListener",
    "AsyncWorkflow",
    "AuthorityExceeded",
    "BusinessCalendar",
    "Cause",
    "Clock",
    "Command",
    "Complaint",
    "ComplaintflowError",
    "ConcurrencyError",
    "ConfigError",
    "CurrencyMismatch",
    "Erasure",
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
    "Party",
    "Remedy",
    "SchemaVersionError",
    "SlaOutcome",
    "StageClock",
    "State",
    "StoreError",
    "SystemClock",
    "Tier",
    "TierLabel",
    "UnknownCommand",
    "ValidationError",
    "Workflow",
    "__version__",
    "load_policies",
    "register_fold",
    "register_upcaster",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and (attrs.has(_obj) or hasattr(_obj, "_fields")):
        # resolve the annotations where they were written, so typing.get_type_hints and
        # cattrs-style introspection work once the public module path is set below
        _obj.__annotations__ = typing.get_type_hints(_obj)
        if attrs.has(_obj):
            attrs.resolve_types(_obj)
    if isinstance(_obj, type) and _obj.__module__.startswith("complaintflow._"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = "complaintflow"
del _name, _obj
