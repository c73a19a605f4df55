"""The exceptions complaintflow raises: the whole tree, public.

Every refusal derives from :class:`ComplaintflowError`::

    ComplaintflowError
    ├── InvalidTransition        the command is not allowed in the current state (409-like)
    ├── ValidationError          bad input; names the field (also a ValueError; 422-like)
    │   ├── UnknownCommand       no command of that name is registered
    │   ├── CurrencyMismatch     two amounts in different currencies were combined
    │   └── ConfigError          a policy file or setting is invalid (names key and line)
    ├── NotAuthorized            the actor may not run this command on this case (403-like)
    │   └── AuthorityExceeded    an offer's goodwill is above the actor's limit
    ├── ConcurrencyError         a store refused a stale save (409-like)
    └── StoreError               anything a store refuses or cannot do
        ├── NotFound             no complaint with that id is stored (also a KeyError; 404-like)
        ├── OperationalError     the database is unreachable, locked or busy: retryable
        └── IntegrityError       what is stored (or would be) is not a true record: not retryable
            └── SchemaVersionError   the database was written by a newer complaintflow

A command that raises leaves the complaint exactly as it was.

>>> import complaintflow as cf
>>> from complaintflow.exceptions import UnknownCommand
>>> issubclass(UnknownCommand, cf.ValidationError) and issubclass(cf.ValidationError, ValueError)
True

A command that raises leaves the complaint exactly as it was.
"""

from __future__ import annotations

__all__ = [
    "AuthorityExceeded",
    "ComplaintflowError",
    "ConcurrencyError",
    "ConfigError",
    "CurrencyMismatch",
    "IntegrityError",
    "InvalidTransition",
    "NotAuthorized",
    "NotFound",
    "OperationalError",
    "SchemaVersionError",
    "StoreError",
    "UnknownCommand",
    "ValidationError",
]


class ComplaintflowError(Exception):
    """Base class of every error complaintflow raises on purpose."""


class InvalidTransition(ComplaintflowError):
    """The command is not allowed in the complaint's current state."""

    def __init__(self, command: str, state: str, *, detail: str = "") -> None:
        self.command = command
        self.state = state
        msg = f"cannot {command} a complaint in state {state!r}"
        if detail:
            msg = f"{msg}: {detail}"
        super().__init__(msg)


class ValidationError(ComplaintflowError, ValueError):
    """Bad input; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownCommand(ValidationError):
    """No command of that name is registered; bad input, not a conflict."""

    def __init__(self, command: str, known: tuple[str, ...] = ()) -> None:
        self.command = command
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__("command", f"unknown command {command!r}{hint}")


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies were combined or compared."""


class ConfigError(ValidationError):
    """A policy configuration is invalid; the message names the key and, for files, the line."""

    def __init__(self, key: str, message: str, *, source: str | None = None,
                 line: int | None = None) -> None:
        self.key = key
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(key, f"{where}{message}" if where else message)
        self.args = (f"{where}{key}: {message}",)

    def __str__(self) -> str:
        return str(self.args[0])


class NotAuthorized(ComplaintflowError):
    """The acting actor may not run this command on this complaint."""

    def __init__(self, message: str, *, needed_tier: str | None = None) -> None:
        self.needed_tier = needed_tier
        super().__init__(message)


class AuthorityExceeded(NotAuthorized):
    """An offer's goodwill is above what the actor (or approver) may grant."""


class ConcurrencyError(ComplaintflowError):
    """A store refused a save because the complaint changed since it was loaded."""

    def __init__(self, complaint_id: str, expected: int, actual: int | None) -> None:
        self.complaint_id = complaint_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"complaint {complaint_id!r} was loaded at version {expected} but the store "
            f"holds version {actual}; reload it and run the command again"
        )


class StoreError(ComplaintflowError):
    """A store cannot do what was asked; see its two kinds below."""


class NotFound(StoreError, KeyError):
    """No complaint with that id is stored."""

    def __init__(self, complaint_id: str) -> None:
        self.complaint_id = complaint_id
        super().__init__(f"no complaint with id {complaint_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class OperationalError(StoreError):
    """The database cannot be reached, is locked or busy: trying again later may work."""


class IntegrityError(StoreError):
    """What is stored, or would be stored, is not a true record: trying again will not help."""


class SchemaVersionError(IntegrityError):
    """The database schema is newer than this complaintflow understands."""
