"""Who may do what on a case: the authorization policy.

The workflow asks its :class:`AuthorizationPolicy` before every command (in one place,
:meth:`complaintflow.Workflow.fire`), and :meth:`complaintflow.Workflow.allowed` asks it
the same question for every command, so a screen and the command never disagree.

The default, :class:`TieredAuthorization`, follows the complaint-handling brief:

- the owning tier or above may close a case (``resolve``, ``archive``), ``reject`` or
  ``withdraw`` it;
- the front line may acknowledge, investigate, propose within its authority (the
  compensation policy judges the amount) and message;
- one person owns a case: whoever acknowledged it, or last took it over
  (``take_over``, recorded as a ``taken_over`` event). Someone else of the owner's tier
  or below takes the case over before acting on it; a higher tier acts directly.

>>> import complaintflow as cf
>>> from complaintflow.policies import TieredAuthorization
>>> TieredAuthorization().rule("archive"), TieredAuthorization().rule("acknowledge")
('close', 'act')
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from complaintflow._values import Actor
from complaintflow.exceptions import NotAuthorized, ValidationError

if TYPE_CHECKING:
    from complaintflow._complaint import Complaint

__all__ = ["AuthorizationPolicy", "OpenAuthorization", "TieredAuthorization"]

#: The kinds of rule :class:`TieredAuthorization` knows.
RULES: Final = ("act", "close", "free", "take")


class AuthorizationPolicy(abc.ABC):
    """Decides whether ``actor`` may run ``command`` on ``complaint`` as it stands now.

    ``refusal`` returns ``None`` (allowed) or the :class:`~complaintflow.NotAuthorized`
    to raise; it is called on every command, so it should be a lookup and a comparison.
    ``actor`` is ``None`` for what the customer does (a message)."""

    version: str = "1"

    @abc.abstractmethod
    def refusal(self, complaint: Complaint, command: str,
                actor: Actor | None) -> NotAuthorized | None:
        """``None`` when ``actor`` may run ``command`` on ``complaint``, else the refusal."""

    def erasure_refusal(self, customer_id: str, actor: Actor) -> NotAuthorized | None:
        """``None`` when ``actor`` may erase the personal data of ``customer_id``
        (:meth:`complaintflow.Workflow.erase`), else the refusal. By default any named
        actor may: the request comes from the customer and is checked by the people who
        take it; override this to require a role (a data-protection officer's tier)."""
        return None


_ACT: Final = 0
_CLOSE: Final = 1
_FREE: Final = 2
_TAKE: Final = 3
_KIND: Final = {"act": _ACT, "close": _CLOSE, "free": _FREE, "take": _TAKE}
_NAME: Final = {v: k for k, v in _KIND.items()}


class TieredAuthorization(AuthorizationPolicy):
    """The desk's rules: closing needs the owning tier, acting needs ownership.

    ``close``: commands that need the case's owning tier or above (default ``resolve``,
    ``archive``, ``reject``, ``withdraw``); ``free``: commands anyone may run, owner or
    not (default ``message``); ``take``: the command that takes a case over (default
    ``take_over``). Every other command (an integrator's own too) needs the owner, or a
    tier above the owner's.
    """

    version = "1"

    def __init__(self, *, close: Iterable[str] = ("resolve", "archive", "reject", "withdraw"),
                 free: Iterable[str] = ("message",), take: Iterable[str] = ("take_over",)) -> None:
        rules: dict[str, int] = {}
        for kind, names in ((_CLOSE, close), (_FREE, free), (_TAKE, take)):
            if isinstance(names, str) or not isinstance(names, Iterable):
                raise ValidationError(_NAME[kind], "expected a collection of command names")
            for name in names:
                if not isinstance(name, str) or not name:
                    raise ValidationError(_NAME[kind], f"expected a command name, got {name!r}")
                rules[name] = kind
        self._rules = rules

    def rule(self, command: str) -> str:
        """The rule ``command`` follows: ``act``, ``close``, ``free`` or ``take``."""
        return _NAME[self._rules.get(command, _ACT)]

    def refusal(self, complaint: Complaint, command: str,
                actor: Actor | None) -> NotAuthorized | None:
        rule = self._rules.get(command, _ACT)
        if actor is None or rule == _FREE:
            return None
        if rule == _TAKE:
            return self._taking(complaint, command, actor)
        if rule == _CLOSE and actor.tier < complaint.tier:
            return NotAuthorized(
                f"{command}: authority; the case is owned by the {complaint.tier.label} tier "
                f"and {actor.id} is {actor.tier.label}", needed_tier=complaint.tier.label)
        owner = complaint.owner
        if owner is not None and owner != actor.id and actor.tier <= complaint.owner_tier:
            return NotAuthorized(f"{command}: not the owner; {owner} owns the case, take it "
                                 "over first")
        return None

    @staticmethod
    def _taking(complaint: Complaint, command: str, actor: Actor) -> NotAuthorized | None:
        owner = complaint.owner
        if owner == actor.id:
            return NotAuthorized(f"{command}: {actor.id} already owns the case")
        if owner is not None and actor.tier < complaint.owner_tier:
            return NotAuthorized(
                f"{command}: not the owner's tier; {owner} owns the case as "
                f"{complaint.owner_tier.label}", needed_tier=complaint.owner_tier.label)
        return None


class OpenAuthorization(AuthorizationPolicy):
    """Everyone may run every command: a single-user tool, or a test of other policies
    (compensation, deadlines) that is not about who acts."""

    version = "1"

    def refusal(self, complaint: Complaint, command: str,
                actor: Actor | None) -> NotAuthorized | None:
        return None
