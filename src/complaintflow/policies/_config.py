"""Loading policies from TOML: ``cf.Workflow(**cf.load_policies("policies.toml"))``.

Each top-level table of the file configures one policy; the policy class reads its own
table in a ``from_config(table, ctx)`` classmethod and reports bad values through
``ctx.error(key, message)``, which names the key and its line in the file.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from complaintflow.exceptions import ConfigError, ValidationError

__all__ = [
    "ConfigContext", "load_policies", "parse_policies", "register_section", "starter_policies",
]

_T = TypeVar("_T")


class ConfigContext:
    """Where a table came from, so errors can name the key and the line."""

    def __init__(self, text: str, source: str, prefix: str = "") -> None:
        self.text = text
        self.source = source
        self.prefix = prefix

    def sub(self, key: str) -> ConfigContext:
        """The context of a nested table ``key``."""
        return ConfigContext(self.text, self.source, f"{self.prefix}{key}.")

    def line_of(self, key: str) -> int | None:
        """The 1-based line where ``key`` (dotted, relative to this table) is set, if found."""
        full = f"{self.prefix}{key}"
        parts = full.split(".")
        lines = self.text.splitlines()
        table: list[str] = []
        best: int | None = None
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if header:
                table = [p.strip().strip('"') for p in header.group(1).split(".")]
                if table == parts:
                    best = best or number
                continue
            m = re.match(r'^("?)([A-Za-z0-9_\-\u0080-\uffff. ]+?)\1\s*=', line)
            if not m:
                continue
            here = table + [p.strip().strip('"') for p in m.group(2).split(".")]
            if here == parts:
                return number
            if best is None and len(here) >= 1 and here[-1] == parts[-1] and here[:-1] == parts[:-1]:
                best = number
        if best is None and len(parts) > 1:
            return ConfigContext(self.text, self.source).line_of(".".join(parts[:-1]))
        return best

    def error(self, key: str, message: str) -> NoReturn:
        """Raise :class:`ConfigError` for ``key`` (relative to this table)."""
        raise ConfigError(f"{self.prefix}{key}", message, source=self.source,
                          line=self.line_of(key))

    # -- typed getters ----------------------------------------------------------------------
    def get(self, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...],
            default: Any = None) -> Any:
        """``table[key]`` checked against ``kind`` (bools are never numbers)."""
        if key not in table:
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            self.error(key, f"expected {_names(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            self.error(key, f"expected {_names(kinds)}, got {type(value).__name__} {value!r}")
        return value

    def positive(self, table: Mapping[str, Any], key: str, default: float,
                 maximum: float = 1_000_000) -> float:
        """``table[key]`` as a positive, finite number of at most ``maximum`` (TOML's
        ``inf`` and ``nan`` are refused)."""
        value = self.get(table, key, (int, float), default)
        if not math.isfinite(value) or value <= 0:
            self.error(key, f"must be positive and finite, got {value!r}")
        if value > maximum:
            self.error(key, f"must be at most {maximum:g}, got {value!r}")
        return float(value)

    def build(self, factory: Callable[..., _T], /, renames: Mapping[str, str] | None = None,
              **kwargs: Any) -> _T:
        """``factory(**kwargs)``: the constructor validates; a
        :class:`~complaintflow.exceptions.ValidationError` naming an argument becomes a
        :class:`~complaintflow.exceptions.ConfigError` naming the key (argument names are
        the keys; ``renames`` maps a field prefix to a key prefix) and its line."""
        try:
            return factory(**kwargs)
        except ConfigError:
            raise
        except ValidationError as exc:
            key = exc.field
            for old, new in (renames or {}).items():
                if key == old or key.startswith(old + "."):
                    key = new + key[len(old):]
                    break
            self.error(key, _message(exc))

    def integer(self, table: Mapping[str, Any], key: str, default: int,
                minimum: int | None = None, maximum: int | None = None) -> int:
        """``table[key]`` as an integer within ``minimum`` … ``maximum`` (inclusive)."""
        value: int = self.get(table, key, int, default)
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            self.error(key, f"must be at most {maximum}, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str) -> list[str] | None:
        """``table[key]`` as a list of non-empty strings, or ``None`` when absent."""
        value = self.get(table, key, list)
        if value is None:
            return None
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error(key, f"item {i + 1} must be a non-empty string, got {item!r}")
        return list(value)

    def unknown(self, table: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> None:
        """Refuse keys this table does not know (typos must not pass silently)."""
        for key in table:
            if key not in allowed:
                self.error(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _message(exc: ValidationError) -> str:
    """The message of ``exc`` without its ``field: `` prefix."""
    text = str(exc)
    prefix = f"{exc.field}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kinds)


#: section name → (Workflow keyword, factory(table, ctx)). Policy modules register here.
SECTIONS: dict[str, tuple[str, Callable[[Mapping[str, Any], ConfigContext], Any]]] = {}


def register_section(name: str, keyword: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``factory(table, ctx)`` building the Workflow argument ``keyword``
    from the TOML table ``[name]``."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        SECTIONS[name] = (keyword, factory)
        return factory

    return deco


def _sections() -> dict[str, tuple[str, Callable[[Mapping[str, Any], ConfigContext], Any]]]:
    # importing the policy modules registers their sections
    from complaintflow import policies  # noqa: F401

    return SECTIONS


def parse_policies(text: str, source: str = "<string>") -> dict[str, Any]:
    """Read policies TOML text into ``Workflow`` keyword arguments (like
    :func:`load_policies`, which reads a file); ``source`` names the text in errors.

    >>> from complaintflow.policies import parse_policies
    >>> parse_policies('[scope]\\nthreshold = 3\\n')["scope"].threshold
    3
    """
    if not isinstance(text, str):
        raise ConfigError("toml", f"expected the TOML text as a str, got {type(text).__name__}",
                          source=source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise ConfigError("toml", f"not valid TOML: {exc}", source=source, line=line) from None
    ctx = ConfigContext(text, source)
    sections = _sections()
    out: dict[str, Any] = {}
    # markets first: the other sections may name the markets a file defines
    for name, table in sorted(data.items(), key=lambda item: item[0] != "markets"):
        if name in ("version", "meta"):
            continue
        if name not in sections:
            ctx.error(name, f"unknown section; expected one of {', '.join(sorted(sections))}")
        if not isinstance(table, dict):
            ctx.error(name, "expected a table")
        keyword, factory = sections[name]
        value = factory(table, ctx.sub(name))
        if keyword in out and isinstance(out[keyword], dict) and isinstance(value, dict):
            out[keyword].update(value)
        else:
            out[keyword] = value
    return out


def load_policies(path: str | Path) -> dict[str, Any]:
    """Read a policies TOML file into ``Workflow`` keyword arguments.

    ``cf.Workflow(**cf.load_policies("policies.toml"))``. An invalid file raises
    :class:`complaintflow.exceptions.ConfigError` naming the key and the line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("path", f"cannot read {p}: {exc.strerror or exc}", source=str(p)) from None
    return parse_policies(text, str(p))


def default_text(name: str) -> str:
    """The text of a bundled default data file (``policies/data/<name>``)."""
    return resources.files("complaintflow.policies").joinpath("data", name).read_text("utf-8")


#: The bundled files the starter file is made of, in the order it lists them.
_STARTER: tuple[str, ...] = ("markets.toml", "escalation.toml", "compensation.toml", "scope.toml",
                             "risk.toml", "duplicates.toml", "classification.toml")
_STARTER_HEADER = """\
# complaintflow policies: every default, written out so you can change what you need.
#
# Load it with
#     wf = cf.Workflow(**cf.load_policies("policies.toml"))
# Read as it is, this file gives the defaults. Delete what you do not change: a table you
# leave out keeps its defaults. Money is written as a string (or a whole number), never a
# float; hours and days are positive, finite numbers. An error names the key and the line.
# The bundled regulatory profiles (cn_samr, uk_fca_disp, eu_psd2, us_cfpb) are selected by
# name in [escalation] regulators and need no definition here.
"""


def starter_policies() -> str:
    """A commented policies TOML with every default, to start a ``policies.toml`` from;
    :func:`parse_policies` (or :func:`load_policies`) reads it back to the defaults.

    >>> from complaintflow.policies import parse_policies, starter_policies
    >>> sorted(parse_policies(starter_policies()))
    ['classifier', 'compensation', 'duplicates', 'escalation', 'market', 'risk', 'scope']
    """
    parts = [_STARTER_HEADER]
    for name in _STARTER:
        parts.append(f"\n# {'-' * 88}\n" + default_text(name).rstrip("\n") + "\n")
    return "".join(parts)
