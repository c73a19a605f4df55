"""Classification: what a complaint is about, and how severe it is (the complaint-handling brief).

:class:`ClassificationPolicy` is the extension point (override :meth:`~ClassificationPolicy.classify`);
:class:`KeywordClassifier` is the default: keyword rules per category, kept as data in
``policies/data/classification.toml`` and read by the same code that reads a user's file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

import ahocorasick_rs
import attrs

from complaintflow._complaint import Complaint
from complaintflow._values import Tier
from complaintflow.exceptions import ValidationError
from complaintflow.policies._config import ConfigContext, default_text, register_section

__all__ = [
    "DIMENSIONS",
    "Category",
    "Classification",
    "ClassificationPolicy",
    "KeywordClassifier",
    "KeywordMatcher",
    "default_fold",
    "shared_matcher",
]

#: The dimensions of the complaint-handling brief (``other`` for what matches nothing).
DIMENSIONS: Final = ("product", "service", "experience", "operations", "safety", "other")
#: Safety cases are always severity 1 and owned by at least this tier.
SAFETY_TIER: Final = Tier.REGIONAL_HEAD
#: A keyword written with this prefix is weak: it decides only when no strong keyword matched.
WEAK: Final = "~"
_WEAK_WEIGHT: Final = 0.5
_ENDING_LIST: Final = ("ing", "es", "ed", "s", "d", "")
_ALNUM: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_WORD = re.compile(r"^[a-z0-9 ]+\*?$")
_SPACES = re.compile(r"\s+")
_HAS_WORD = re.compile(r"[a-z0-9]")


@attrs.frozen(slots=True)
class Classification:
    """A classifier's verdict.

    ``evidence`` says why (the default classifier: ``"category:keyword"`` for every keyword
    that matched, the winning category's first). ``min_tier`` is the lowest tier that may
    own the case. Whatever classifier made it, a verdict of dimension ``safety`` is
    severity 1 and owned by at least the regional head (the complaint-handling brief).
    """

    category: str
    dimension: str
    severity: int
    evidence: tuple[str, ...] = ()
    min_tier: Tier | None = None

    def __attrs_post_init__(self) -> None:
        if self.severity not in (1, 2, 3):
            raise ValidationError("severity", f"expected 1, 2 or 3, got {self.severity!r}")
        if not isinstance(self.category, str) or not self.category:
            raise ValidationError("category", "expected a non-empty string")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        if self.dimension == "safety":
            object.__setattr__(self, "severity", 1)
            tier = SAFETY_TIER if self.min_tier is None else max(self.min_tier, SAFETY_TIER)
            object.__setattr__(self, "min_tier", tier)


class ClassificationPolicy(ABC):
    """Decides category, dimension and severity of a new complaint.

    Override :meth:`classify`; the complaint passed in has its intake fields
    (text, channel, sku …) set and is not yet classified.
    """

    #: Recorded in every decision event so audits know which policy made it.
    version: ClassVar[str] = "1"

    @abstractmethod
    def classify(self, complaint: Complaint) -> Classification:
        """Return the classification of ``complaint``."""

    def dimension_of(self, category: str) -> str | None:
        """The dimension a category belongs to (used when an agent reclassifies by hand);
        ``None`` when unknown."""
        return None


# -- categories -------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Category:
    """One category rule: its dimension, severity, keywords and the lowest owning tier.

    A category of dimension ``safety`` is always severity 1 and owned by at least the
    regional head, whatever is asked.
    """

    name: str
    dimension: str
    severity: int = 3
    keywords: tuple[str, ...] = ()
    min_tier: Tier | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("category", "a category needs a non-empty name")
        if self.dimension not in DIMENSIONS:
            raise ValidationError(
                "dimension", f"unknown dimension {self.dimension!r}; expected one of "
                f"{', '.join(DIMENSIONS)}")
        if self.severity not in (1, 2, 3):
            raise ValidationError("severity", f"expected 1, 2 or 3, got {self.severity!r}")
        object.__setattr__(self, "keywords", tuple(self.keywords))
        if self.dimension == "safety":
            object.__setattr__(self, "severity", 1)
            tier = SAFETY_TIER if self.min_tier is None else max(self.min_tier, SAFETY_TIER)
            object.__setattr__(self, "min_tier", tier)


# -- matching ---------------------------------------------------------------------------------



@functools.cache
def _script_table() -> dict[int, str]:
    """Character → replacement: traditional → simplified Chinese (OpenCC's ``t2s``, one
    character at a time) and full-width ASCII → ASCII."""
    import opencc  # only needed once, when the first matcher is built

    chars = "".join(chr(i) for ranges in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
                    for i in range(*ranges))
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    table = {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b}
    for i in range(0xFF01, 0xFF5F):
        table[i] = chr(i - 0xFEE0)
    table[0x3000] = " "
    return table


@functools.cache
def _translation(fold: tuple[tuple[str, str], ...]) -> dict[int, str]:
    """The one ``str.translate`` table a matcher uses: script, width, then ``fold``.

    A character named in ``fold`` is replaced as written, even when the script conversion
    would change it first (OpenCC turns the Cantonese 嗰 into 𠮶, not into anything a
    keyword is written with)."""
    extra = dict(fold)
    table = {k: extra[chr(k)] if chr(k) in extra else "".join(extra.get(ch, ch) for ch in v)
             for k, v in _script_table().items()}
    for k, v in extra.items():
        if ord(k) not in table:
            table[ord(k)] = v
    return table



class KeywordMatcher:
    """Finds keywords in text: two Aho-Corasick automata (Chinese and English) read it once.

    ``keywords`` maps each keyword (as written) to the labels it stands for. The text
    and the keywords are normalised alike: lower case, traditional → simplified Chinese
    (character by character, from OpenCC's ``t2s`` dictionary), full-width → ASCII, the
    ``fold`` replacements, white space runs → one space. An ASCII keyword
    matches whole words with an optional English ending (s, es, d, ed, ing), or any
    ending when it ends in ``*``; any other keyword matches anywhere.
    """

    def __init__(self, keywords: Mapping[str, Iterable[str]],
                 fold: Mapping[str, str] | None = None) -> None:
        self.fold = dict(fold or {})
        self._table = _translation(tuple(sorted(self.fold.items())))
        cjk: dict[str, list[tuple[str, str]]] = {}
        words: dict[str, list[tuple[str, str]]] = {}
        prefixes: dict[str, list[tuple[str, str]]] = {}
        for written, labels in keywords.items():
            raw = written[len(WEAK):] if written.startswith(WEAK) else written
            key = self.normalise(raw.rstrip("*")) + ("*" if raw.endswith("*") else "")
            if not key.strip("* "):
                raise ValidationError("keywords", f"keyword {written!r} is empty once normalised")
            pairs = [(label, written) for label in labels]
            if _ASCII_WORD.match(key):
                target = prefixes if key.endswith("*") else words
                target.setdefault(key.rstrip("*").strip(), []).extend(pairs)
            else:
                cjk.setdefault(key.rstrip("*"), []).extend(pairs)
        self._cjk = {k: tuple(v) for k, v in cjk.items()}
        self._words = {k: tuple(v) for k, v in words.items()}
        self._prefixes = {k: tuple(v) for k, v in prefixes.items()}
        # Chinese (and mixed) keywords: one Aho-Corasick automaton, leftmost-longest.
        self._cjk_keys = tuple(self._cjk)
        self._cjk_ac = (ahocorasick_rs.AhoCorasick(self._cjk_keys,
                                                   matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
                        if cjk else None)
        # English words: a second automaton, every occurrence (overlapping); the word
        # boundaries and endings are checked on each, then the leftmost-longest are kept.
        self._word_terms = (*((k, False, v) for k, v in self._words.items()),
                            *((k, True, v) for k, v in self._prefixes.items()))
        self._word_ac = (ahocorasick_rs.AhoCorasick([t[0] for t in self._word_terms])
                         if self._word_terms else None)

    def normalise(self, text: str) -> str:
        """``text`` as the matcher sees it."""
        return _SPACES.sub(" ", text.lower().translate(self._table))

    def _words_in(self, norm: str) -> list[tuple[int, tuple[tuple[str, str], ...]]]:
        """Whole-word keyword occurrences, leftmost-longest, not overlapping."""
        assert self._word_ac is not None
        terms = self._word_terms
        found = []
        for index, start, end in self._word_ac.find_matches_as_indexes(norm, overlapping=True):
            if start and norm[start - 1] in _ALNUM:
                continue
            _, prefix, pairs = terms[index]
            stop = _word_end(norm, end, prefix)
            if stop >= 0:
                found.append((start, -stop, -end, pairs))
        # leftmost, then longest, then the longest keyword (not its ending)
        found.sort(key=lambda f: (f[0], f[1], f[2]))
        out = []
        reached = 0
        for start, neg_stop, _, pairs in found:
            if start >= reached:
                out.append((start, pairs))
                reached = -neg_stop
        return out

    def find(self, text: str) -> list[tuple[str, str]]:
        """``(label, keyword as written)`` for every keyword occurrence, in text order."""
        norm = self.normalise(text)
        hits: list[tuple[int, tuple[tuple[str, str], ...]]] = []
        if self._cjk_ac is not None:
            table, keys = self._cjk, self._cjk_keys
            hits.extend((start, table[keys[index]])
                        for index, start, _ in self._cjk_ac.find_matches_as_indexes(norm))
        if self._word_ac is not None and _HAS_WORD.search(norm):
            hits.extend(self._words_in(norm))
            hits.sort(key=lambda h: h[0])
        return [pair for _, pairs in hits for pair in pairs]


def _word_end(text: str, end: int, prefix: bool) -> int:
    """Where a word keyword ending at ``end`` really ends, or -1 if it is inside a word."""
    size = len(text)
    if prefix:
        while end < size and text[end] in _ALNUM:
            end += 1
        return end
    for ending in _ENDING_LIST:
        stop = end + len(ending)
        if text.startswith(ending, end) and (stop == size or text[stop] not in _ALNUM):
            return stop
    return -1


def shared_matcher(keywords: Mapping[str, Iterable[str]],
                   fold: Mapping[str, str] | None = None) -> KeywordMatcher:
    """A :class:`KeywordMatcher`, shared with every other caller asking for the same
    keywords and fold (building one takes milliseconds; matchers never change)."""
    key = (tuple((w, tuple(labels)) for w, labels in keywords.items()),
           tuple(sorted((fold or {}).items())))
    return _cached_matcher(key)


@functools.lru_cache(maxsize=64)
def _cached_matcher(key: tuple[tuple[tuple[str, tuple[str, ...]], ...],
                               tuple[tuple[str, str], ...]]) -> KeywordMatcher:
    words, fold = key
    return KeywordMatcher(dict(words), dict(fold))


# -- the default classifier ---------------------------------------------------------------


class KeywordClassifier(ClassificationPolicy):
    """Keyword rules per category (the complaint-handling brief), Chinese in either script and English.

    Choosing among the categories whose keywords occur in the text:

    1. only categories with a strong keyword count, unless none has one (keywords written
       with a leading ``~`` are weak: generic words such as "不能用" or "price"); a weak
       keyword alone makes a safety case only when nothing else matched;
    2. the lowest severity number wins (safety, always 1, beats everything);
    3. then the highest score (a strong keyword occurrence counts 1, a weak one 0.5);
    4. then the order of the categories in the rules.

    Nothing matched: ``fallback`` (``"other"``, dimension ``other``, severity 3). The same
    when only weak keywords matched, none of a safety category, and the text holds one of
    the ``enquiry`` phrases ("请问", "do you"): a question, not a complaint.
    ``KeywordClassifier()`` uses the bundled defaults; pass ``categories`` to use others.
    """

    version: ClassVar[str] = "3"

    def __init__(self, categories: Iterable[Category] | Mapping[str, Mapping[str, Any]] | None = None,
                 *, fold: Mapping[str, str] | None = None, fallback: str = "other",
                 enquiry: Iterable[str] | None = None) -> None:
        if categories is None:
            default = _defaults()
            categories = default.categories.values()
            fold = default.fold if fold is None else fold
            enquiry = default.enquiry if enquiry is None else enquiry
        elif isinstance(categories, Mapping):
            categories = [_category_from_mapping(name, spec) for name, spec in categories.items()]
        self.categories: dict[str, Category] = {}
        for cat in categories:
            if not isinstance(cat, Category):
                raise ValidationError("categories", f"expected Category, got {type(cat).__name__}")
            self.categories[cat.name] = cat
        if not isinstance(fallback, str) or not fallback:
            raise ValidationError("fallback", "expected a category name")
        self.fallback = fallback
        self.fold: dict[str, str] = dict(fold or {})
        self._order = {name: i for i, name in enumerate(self.categories)}
        table: dict[str, list[str]] = {}
        for cat in self.categories.values():
            for word in cat.keywords:
                table.setdefault(word, []).append(cat.name)
        self.matcher = shared_matcher(table, self.fold)
        self.enquiry: tuple[str, ...] = tuple(enquiry or ())
        self._enquiry = (shared_matcher(dict.fromkeys(self.enquiry, ("enquiry",)), self.fold)
                         if self.enquiry else None)

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> KeywordClassifier:
        """Build from a ``[classification]`` table (see the reference for the schema)."""
        return _from_table(table, ctx, base=None)

    def matches(self, text: str) -> dict[str, list[str]]:
        """Every category whose keywords occur in ``text`` → the keywords (as written), in
        text order; a keyword occurring twice is listed twice."""
        out: dict[str, list[str]] = {}
        for cat, word in self.matcher.find(text):
            out.setdefault(cat, []).append(word)
        return out

    def decide(self, text: str) -> Classification:
        """The classification of ``text`` (what :meth:`classify` does with the complaint's)."""
        found = self.matches(text)
        if not found:
            return Classification(self.fallback, "other", 3)

        def strong(words: list[str]) -> bool:
            return any(not w.startswith(WEAK) for w in words)

        candidates = [c for c, ws in found.items() if strong(ws)]
        if not candidates:
            safe = [c for c in found if self.categories[c].dimension != "safety"]
            if len(safe) == len(found) and self._enquiry is not None and self._enquiry.find(text):
                return Classification(self.fallback, "other", 3)
            candidates = safe or list(found)

        def rank(name: str) -> tuple[int, float, int]:
            score = sum(_WEAK_WEIGHT if w.startswith(WEAK) else 1.0 for w in found[name])
            return (self.categories[name].severity, -score, self._order[name])

        best = min(candidates, key=rank)
        cat = self.categories[best]
        ordered = [best, *sorted((c for c in found if c != best), key=rank)]
        evidence = tuple(dict.fromkeys(
            f"{name}:{word.removeprefix(WEAK)}" for name in ordered for word in found[name]))
        return Classification(cat.name, cat.dimension, cat.severity, evidence, cat.min_tier)

    def classify(self, complaint: Complaint) -> Classification:
        return self.decide(complaint.text or "")

    def dimension_of(self, category: str) -> str | None:
        """The category's dimension; the fallback's is ``"other"`` (what :meth:`decide`
        files it under), so an agent can reclassify a case as not the desk's matter."""
        cat = self.categories.get(category)
        if cat is None:
            return "other" if category == self.fallback else None
        return cat.dimension


# -- configuration ----------------------------------------------------------------------------

_TABLE_KEYS: Final = frozenset({"mode", "fallback", "fold", "enquiry", "categories"})
_CATEGORY_KEYS: Final = frozenset({"dimension", "severity", "min_tier", "keywords",
                                   "add_keywords", "remove_keywords", "remove"})


@attrs.frozen
class _Rules:
    categories: dict[str, Category]
    fold: dict[str, str]
    fallback: str
    enquiry: tuple[str, ...] = ()


@functools.cache
def _defaults() -> _Rules:
    text = default_text("classification.toml")
    ctx = ConfigContext(text, "complaintflow/policies/data/classification.toml")
    table = tomllib.loads(text)["classification"]
    return _rules(table, ctx.sub("classification"), base=None)


def default_fold() -> dict[str, str]:
    """The ``fold`` replacements of the bundled classification rules."""
    return dict(_defaults().fold)


def _category_from_mapping(name: str, spec: Mapping[str, Any]) -> Category:
    tier = spec.get("min_tier")
    return Category(name, spec["dimension"], int(spec.get("severity", 3)),
                    tuple(spec.get("keywords", ())),
                    None if tier is None else Tier.parse(tier, "min_tier"))


def _strings(ctx: ConfigContext, table: Mapping[str, Any], key: str) -> list[str] | None:
    value = ctx.get(table, key, list)
    if value is None:
        return None
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip(WEAK + "* "):
            ctx.error(key, f"item {i + 1} must be a non-empty string, got {item!r}")
    return list(value)


def _rules(table: Mapping[str, Any], ctx: ConfigContext, base: _Rules | None) -> _Rules:
    ctx.unknown(table, _TABLE_KEYS)
    mode = ctx.get(table, "mode", str, "extend")
    if mode not in ("extend", "replace"):
        ctx.error("mode", f"expected 'extend' or 'replace', got {mode!r}")
    start = base if (base is not None and mode == "extend") else None
    categories = dict(start.categories) if start else {}
    fold = dict(start.fold) if start else {}
    fallback = ctx.get(table, "fallback", str, start.fallback if start else "other")
    enquiry = _strings(ctx, table, "enquiry")
    questions = tuple(enquiry) if enquiry is not None else (start.enquiry if start else ())
    extra_fold = ctx.get(table, "fold", dict, {})
    for k, v in extra_fold.items():
        if not isinstance(v, str) or len(k) != 1:
            ctx.sub("fold").error(k, "fold maps one character to a string")
        fold[k] = v
    cats = ctx.get(table, "categories", dict, {})
    cctx = ctx.sub("categories")
    for name, spec in cats.items():
        if not isinstance(spec, dict):
            cctx.error(name, "expected a table")
        one = cctx.sub(name)
        one.unknown(spec, _CATEGORY_KEYS)
        if one.get(spec, "remove", bool, False):
            if name not in categories:
                one.error("remove", f"there is no category {name!r} to remove")
            del categories[name]
            continue
        old = categories.get(name)
        dimension = one.get(spec, "dimension", str, old.dimension if old else None)
        if dimension is None:
            one.error("dimension", f"a new category needs a dimension ({', '.join(DIMENSIONS)})")
        if dimension not in DIMENSIONS:
            one.error("dimension", f"unknown dimension {dimension!r}; expected one of "
                      f"{', '.join(DIMENSIONS)}")
        severity = one.get(spec, "severity", int, old.severity if old else 3)
        if severity not in (1, 2, 3):
            one.error("severity", f"expected 1, 2 or 3, got {severity!r}")
        if dimension == "safety" and severity != 1:
            one.error("severity", "safety categories are always severity 1")
        tier_raw = one.get(spec, "min_tier", str, None)
        tier = old.min_tier if old else None
        if tier_raw is not None:
            try:
                tier = Tier.parse(tier_raw, "min_tier")
            except ValidationError as exc:
                one.error("min_tier", str(exc.args[0]) if exc.args else "unknown tier")
            if dimension == "safety" and tier < SAFETY_TIER:
                one.error("min_tier", f"safety cases are owned by at least {SAFETY_TIER.label}")
        keywords = _strings(one, spec, "keywords")
        words = list(old.keywords) if (old and keywords is None) else list(keywords or [])
        added = _strings(one, spec, "add_keywords") or []
        removed = _strings(one, spec, "remove_keywords") or []
        for w in removed:
            if w not in words:
                one.error("remove_keywords", f"{w!r} is not a keyword of {name!r}")
        words = [w for w in words if w not in removed]
        words += [w for w in added if w not in words]
        if not words:
            one.error("keywords", f"category {name!r} needs at least one keyword")
        categories[name] = Category(name, dimension, severity, tuple(words), tier)
    if not categories:
        ctx.error("categories", "at least one category is needed")
    return _Rules(categories, fold, fallback, questions)


def _from_table(table: Mapping[str, Any], ctx: ConfigContext,
                base: _Rules | None) -> KeywordClassifier:
    rules = _rules(table, ctx, base if base is not None else _defaults())
    try:
        return KeywordClassifier(rules.categories.values(), fold=rules.fold,
                                 fallback=rules.fallback, enquiry=rules.enquiry)
    except ValidationError as exc:
        ctx.error(exc.field, str(exc))


@register_section("classification", "classifier")
def _section(table: Mapping[str, Any], ctx: ConfigContext) -> KeywordClassifier:
    return KeywordClassifier.from_config(table, ctx)
