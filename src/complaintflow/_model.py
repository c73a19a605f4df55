"""Compatibility re-exports: the model now lives in ``_values``, ``_events`` and ``_complaint``."""

from complaintflow._complaint import *  # noqa: F403
from complaintflow._complaint import (  # noqa: F401
    _ENTERS,
    _HANDLERS,
    Complaint,
    apply,
    replace,
    stage_times_to_data,
)
from complaintflow._events import *  # noqa: F403
from complaintflow._events import (  # noqa: F401
    _UPCASTERS,
    EVENT_NAMES,
    SCHEMA_VERSION,
    Event,
    FrozenDict,
    freeze,
    register_upcaster,
    thaw,
)
from complaintflow._values import *  # noqa: F403
from complaintflow._values import (  # noqa: F401
    CAUSES,
    FINAL_STATES,
    OPEN_STATES,
    PARTIES,
    REMEDIES,
    STAGES,
    Actor,
    Finding,
    Money,
    Offer,
    State,
    Tier,
)
