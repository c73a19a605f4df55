"""HybridClassifier: keyword rules for what must never be missed, a statistical model for the rest.

The keyword rules of :class:`~complaintflow.policies.KeywordClassifier` decide safety (food
safety and injury: severity 1) and explain every verdict; a multinomial logistic regression
over character n-grams (Chinese) and words (English), trained on labelled customer texts,
decides among the other categories together with the keywords. Pure Python at run time and
at training time: the model ships inside the package as a gzip JSON file
(``policies/data/classifier_model.json.gz``). The naive Bayes model of earlier releases
(:class:`TextModel`) still loads and still trains.

Integrators retrain on their own labelled texts with :func:`train_classifier` (or
``python -m complaintflow.policies.train``), keep the result with
:meth:`HybridClassifier.save` and load it with :meth:`HybridClassifier.load`.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import math
import os
import random
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs

from complaintflow._complaint import Complaint
from complaintflow.exceptions import ValidationError
from complaintflow.policies._config import default_text
from complaintflow.policies.classification import (
    WEAK,
    Classification,
    ClassificationPolicy,
    KeywordClassifier,
    shared_matcher,
)

__all__ = [
    "ClassifierScore",
    "HybridClassifier",
    "LogisticTextModel",
    "TextModel",
    "evaluate_classifier",
    "train_classifier",
]

#: The format of a saved naive Bayes model; :meth:`TextModel.from_dict` refuses another.
MODEL_FORMAT: Final = 1
#: The format of a saved logistic model (:class:`LogisticTextModel`).
LOGISTIC_FORMAT: Final = 2
_MODEL_FILE: Final = "classifier_model.json.gz"
#: How much an accepted category of a training text counts against the labelled one
#: (logistic model; chosen by cross-validation on the tuning texts).
ACCEPT_WEIGHT: Final = 0.25
_CJK: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_CJK = re.compile(f"[{_CJK}]")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[a-z0-9]+")
_SEPARATOR = re.compile(r"([^\w]+)")
_NOT_CJK_OR_WORD = re.compile(f"[^{_CJK}a-z0-9]+")
_ENGLISH_ENDINGS: Final = ("ing", "ed", "es", "s")
_STOP: Final = frozenset({"the", "a", "an", "and", "or", "of", "to", "in", "it", "is", "i",
                          "this", "that", "for", "on", "my", "was", "with", "be", "as"})


# -- text ------------------------------------------------------------------------------------


def join_split_words(text: str) -> str:
    """Remove the punctuation that breaks a word into single characters: "拉！肚！子！" →
    "拉肚子", "外卖烫！伤！" → "外卖烫伤". A separator goes when a single Chinese
    character follows it, or when it ends a run of them."""
    parts = _SEPARATOR.split(text)
    words, seps = parts[0::2], parts[1::2]
    single = [len(w) == 1 and _IS_CJK.match(w) is not None for w in words]
    out = [words[0]]
    for i, sep in enumerate(seps):
        # sep stands between words[i] and words[i + 1]
        before_single = single[i + 1]
        run_ends = single[i] and i >= 1 and single[i - 1]
        if not (before_single or run_ends) or "\n" in sep:
            out.append(sep)
        out.append(words[i + 1])
    return "".join(out)


def _stem(word: str) -> str:
    for ending in _ENGLISH_ENDINGS:
        if len(word) > len(ending) + 2 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def text_features(norm: str) -> list[str]:
    """The features of a normalised text: Chinese character 1- to 3-grams (punctuation
    removed, so a word broken by "！" is whole again) and English word 1- and 2-grams."""
    feats: list[str] = []
    cjk = "".join(_CJK_RUN.findall(norm))
    size = len(cjk)
    for n in (1, 2, 3):
        feats.extend(cjk[i:i + n] for i in range(size - n + 1))
    words = [_stem(w) for w in _WORD.findall(norm) if w not in _STOP]
    feats.extend("w:" + w for w in words)
    feats.extend(f"w:{a}_{b}" for a, b in itertools.pairwise(words))
    return feats


# -- the statistical model ------------------------------------------------------------------


class TextModel:
    """A multinomial naive Bayes model over :func:`text_features` (each feature counted once
    per text), with add-``alpha`` smoothing.

    ``counts[feature][category]`` is the number of training texts of that category that
    hold the feature; ``docs[category]`` the number of training texts.
    """

    def __init__(self, categories: Sequence[str], docs: Mapping[str, float],
                 counts: Mapping[str, Mapping[str, float]], *, alpha: float = 0.3) -> None:
        if not categories:
            raise ValidationError("categories", "a model needs at least one category")
        if not alpha > 0:
            raise ValidationError("alpha", f"expected a positive number, got {alpha!r}")
        self.categories: tuple[str, ...] = tuple(categories)
        self.alpha = float(alpha)
        self.docs = {c: float(docs.get(c, 0)) for c in self.categories}
        self.counts = {f: {c: float(n) for c, n in per.items()} for f, per in counts.items()}
        index = {c: i for i, c in enumerate(self.categories)}
        totals = [0.0] * len(self.categories)
        for per in self.counts.values():
            for c, n in per.items():
                totals[index[c]] += n
        vocab = len(self.counts) + 1
        all_docs = sum(self.docs.values()) + len(self.categories)
        self._prior = [math.log((self.docs[c] + 1) / all_docs) for c in self.categories]
        self._unseen = [math.log(alpha / (t + alpha * vocab)) for t in totals]
        self._log: dict[str, list[float]] = {}
        for f, per in self.counts.items():
            row = list(self._unseen)
            for c, n in per.items():
                i = index[c]
                row[i] = math.log((n + alpha) / (totals[i] + alpha * vocab))
            self._log[f] = row

    @classmethod
    def fit(cls, rows: Iterable[tuple[str, str] | tuple[str, str, float]], *, alpha: float = 0.3,
            min_count: float = 0, categories: Sequence[str] | None = None) -> TextModel:
        """Fit on ``(normalised text, category)`` or ``(normalised text, category, weight)``
        rows; features whose total weight is below ``min_count`` are dropped."""
        docs: dict[str, float] = {}
        counts: dict[str, dict[str, float]] = {}
        for row in rows:
            norm, category = row[0], row[1]
            weight = float(row[2]) if len(row) > 2 else 1.0
            docs[category] = docs.get(category, 0.0) + weight
            for f in set(text_features(norm)):
                per = counts.setdefault(f, {})
                per[category] = per.get(category, 0.0) + weight
        kept = {f: per for f, per in counts.items() if sum(per.values()) >= min_count}
        cats = list(categories) if categories is not None else sorted(docs)
        return cls(cats, docs, kept, alpha=alpha)

    def log_scores(self, norm: str) -> dict[str, float]:
        """Unnormalised log-probability of each category for a normalised text."""
        total = list(self._prior)
        for f in set(text_features(norm)):
            row = self._log.get(f)
            if row is not None:
                for i, v in enumerate(row):
                    total[i] += v
        return dict(zip(self.categories, total, strict=True))

    def probabilities(self, norm: str) -> dict[str, float]:
        """Posterior probability of each category for a normalised text."""
        scores = self.log_scores(norm)
        top = max(scores.values())
        exp = {c: math.exp(s - top) for c, s in scores.items()}
        norm_sum = sum(exp.values())
        return {c: v / norm_sum for c, v in exp.items()}

    def top_features(self, norm: str, category: str, n: int = 3) -> list[str]:
        """The features of the text that speak most for ``category`` against the others."""
        i = self.categories.index(category)
        ranked = []
        for f in set(text_features(norm)):
            row = self._log.get(f)
            if row is not None:
                others = max(v for j, v in enumerate(row) if j != i) if len(row) > 1 else 0.0
                ranked.append((row[i] - others, f))
        ranked.sort(reverse=True)
        return [f.removeprefix("w:").replace("_", " ") for gain, f in ranked[:n] if gain > 0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what :meth:`HybridClassifier.save` writes)."""
        index = {c: i for i, c in enumerate(self.categories)}
        return {"format": MODEL_FORMAT, "alpha": self.alpha, "categories": list(self.categories),
                "docs": [_compact(self.docs[c]) for c in self.categories],
                "counts": {f: {str(index[c]): _compact(n) for c, n in per.items()}
                           for f, per in sorted(self.counts.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextModel:
        """The model :meth:`to_dict` wrote; :class:`ValidationError` for anything else."""
        if not isinstance(data, Mapping) or data.get("format") != MODEL_FORMAT:
            raise ValidationError("model", f"not a complaintflow text model of format {MODEL_FORMAT}")
        try:
            cats = [str(c) for c in data["categories"]]
            docs = dict(zip(cats, (float(n) for n in data["docs"]), strict=True))
            counts = {str(f): {cats[int(i)]: float(n) for i, n in per.items()}
                      for f, per in data["counts"].items()}
            return cls(cats, docs, counts, alpha=float(data["alpha"]))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ValidationError("model", f"malformed text model: {exc}") from None


def _compact(x: float) -> float | int:
    r = round(x, 3)
    return int(r) if r == int(r) else r


class LogisticTextModel:
    """A multinomial logistic regression over :func:`text_features` (each feature counted once
    per text, weighted by its inverse document frequency, each text's vector of length 1).

    ``weights[feature]`` holds one weight per category, ``bias`` one number per category,
    ``idf[feature]`` the feature's weight; a feature not in ``idf`` is ignored. Trained by
    :meth:`fit` (AdaGrad, a fixed seed: the same rows give the same model), in pure Python.
    """

    def __init__(self, categories: Sequence[str], bias: Sequence[float],
                 idf: Mapping[str, float], weights: Mapping[str, Sequence[float]], *,
                 _trusted: bool = False) -> None:
        if not categories:
            raise ValidationError("categories", "a model needs at least one category")
        size = len(categories)
        if len(bias) != size or any(len(w) != size for w in weights.values()):
            raise ValidationError("model", "every weight row needs one number per category")
        self.categories: tuple[str, ...] = tuple(categories)
        self.bias = [float(b) for b in bias]
        self.idf = {f: float(v) for f, v in idf.items()}
        # rows checked by from_dict are kept as they are (a large model loads faster)
        self.weights: dict[str, list[float]] = (
            weights if _trusted and isinstance(weights, dict)
            else {f: [float(x) for x in row] for f, row in weights.items()})

    def _vector(self, norm: str) -> list[tuple[str, float]]:
        idf = self.idf
        items = [(f, idf[f]) for f in set(text_features(norm)) if f in idf]
        length = math.sqrt(sum(v * v for _, v in items)) or 1.0
        return [(f, v / length) for f, v in items]

    @classmethod
    def fit(cls, rows: Iterable[tuple[str, str] | tuple[str, str, float]], *,
            categories: Sequence[str] | None = None, epochs: int = 6, rate: float = 0.5,
            l2: float = 1e-5, min_df: int | None = None, balance: float = 0.25,
            seed: int = 7) -> LogisticTextModel:
        """Fit on ``(normalised text, category)`` or ``(normalised text, category, weight)``
        rows. Features in fewer than ``min_df`` distinct texts are dropped (by default 2, or 3
        from 5,000 texts on, which keeps a large model small at no measured cost); each
        category's texts
        weigh ``(mean category size / its size) ** balance`` more, so rare categories are
        heard; ``epochs`` passes of AdaGrad at ``rate`` with an L2 penalty ``l2``."""
        items = [(r[0], r[1], float(r[2]) if len(r) > 2 else 1.0) for r in rows]
        if not items:
            raise ValidationError("rows", "at least one labelled text is needed")
        cats = list(categories) if categories is not None else sorted({c for _, c, _ in items})
        index = {c: i for i, c in enumerate(cats)}
        df: Counter[str] = Counter()
        texts = dict.fromkeys(norm for norm, _, _ in items)  # a text counts once
        for norm in texts:
            df.update(set(text_features(norm)))
        n_docs = len(texts)
        if min_df is None:
            min_df = 3 if n_docs >= 5000 else 2
        idf = {f: round(math.log((1 + n_docs) / (1 + d)) + 1, 3)
               for f, d in df.items() if d >= min_df}
        sizes: dict[str, float] = {}
        for _, c, w in items:
            sizes[c] = sizes.get(c, 0.0) + w
        mean = sum(sizes.values()) / len(sizes)
        scale = {c: (mean / sizes[c]) ** balance if sizes.get(c) else 1.0 for c in cats}
        shell = cls(cats, [0.0] * len(cats), idf, {})
        data = [(shell._vector(norm), index[c], w * scale[c]) for norm, c, w in items]
        k = len(cats)
        weights: dict[str, list[float]] = {}
        grads: dict[str, list[float]] = {}
        bias, bias_grad = [0.0] * k, [1e-8] * k
        order = list(range(len(data)))
        rng = random.Random(seed)
        for _ in range(epochs):
            rng.shuffle(order)
            for i in order:
                vector, label, weight = data[i]
                scores = list(bias)
                for f, v in vector:
                    row = weights.get(f)
                    if row is not None:
                        for j in range(k):
                            scores[j] += row[j] * v
                top = max(scores)
                exp = [math.exp(x - top) for x in scores]
                total = sum(exp)
                g = [weight * e / total for e in exp]
                g[label] -= weight
                for j in range(k):
                    bias_grad[j] += g[j] * g[j]
                    bias[j] -= rate * g[j] / math.sqrt(bias_grad[j])
                for f, v in vector:
                    row = weights.get(f)
                    if row is None:
                        row = weights[f] = [0.0] * k
                        grads[f] = [1e-8] * k
                    acc = grads[f]
                    for j in range(k):
                        step = g[j] * v + l2 * row[j]
                        acc[j] += step * step
                        row[j] -= rate * step / math.sqrt(acc[j])
        kept = {f: [round(x, 3) for x in row] for f, row in weights.items()}
        kept = {f: row for f, row in kept.items() if any(row)}
        return cls(cats, [round(b, 3) for b in bias], {f: idf[f] for f in kept}, kept)

    def log_scores(self, norm: str) -> dict[str, float]:
        """The linear score of each category for a normalised text."""
        k = len(self.categories)
        scores = list(self.bias)
        for f, v in self._vector(norm):
            row = self.weights.get(f)
            if row is not None:
                for j in range(k):
                    scores[j] += row[j] * v
        return dict(zip(self.categories, scores, strict=True))

    def probabilities(self, norm: str) -> dict[str, float]:
        """Probability of each category for a normalised text."""
        scores = self.log_scores(norm)
        top = max(scores.values())
        exp = {c: math.exp(s - top) for c, s in scores.items()}
        total = sum(exp.values())
        return {c: v / total for c, v in exp.items()}

    def top_features(self, norm: str, category: str, n: int = 3) -> list[str]:
        """The features of the text that speak most for ``category`` against the others."""
        i = self.categories.index(category)
        ranked = []
        for f, v in self._vector(norm):
            row = self.weights.get(f)
            if row is not None:
                others = max((x for j, x in enumerate(row) if j != i), default=0.0)
                ranked.append(((row[i] - others) * v, f))
        ranked.sort(reverse=True)
        return [f.removeprefix("w:").replace("_", " ") for gain, f in ranked[:n] if gain > 0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what :meth:`HybridClassifier.save` writes)."""
        return {"format": LOGISTIC_FORMAT, "categories": list(self.categories),
                "bias": [_compact(b) for b in self.bias],
                "idf": {f: _compact(self.idf[f]) for f in sorted(self.weights)},
                "weights": {f: [_compact(x) for x in self.weights[f]]
                            for f in sorted(self.weights)}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogisticTextModel:
        """The model :meth:`to_dict` wrote; :class:`ValidationError` for anything else."""
        if not isinstance(data, Mapping) or data.get("format") != LOGISTIC_FORMAT:
            raise ValidationError("model", "not a complaintflow text model of format "
                                  f"{LOGISTIC_FORMAT}")
        try:
            cats = [str(c) for c in data["categories"]]
            bias = [float(b) for b in data["bias"]]
            idf = {str(f): float(v) for f, v in data["idf"].items()}
            raw = data["weights"]
            if not isinstance(raw, Mapping) or set(idf) != set(raw):
                raise ValueError("idf and weights name different features")
            size = len(cats)
            weights: dict[str, list[float]] = {}
            for f, row in raw.items():
                if not isinstance(row, list) or len(row) != size:
                    raise ValueError(f"feature {f!r} needs one weight per category")
                weights[f] = row
            # JSON gives ints and floats; anything else (or inf, nan) fails here
            total = math.fsum(map(math.fabs, itertools.chain(bias, idf.values(),
                                                              *weights.values())))
            if not math.isfinite(total):
                raise ValueError("a weight is not a finite number")
            return cls(cats, bias, idf, weights, _trusted=True)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ValidationError("model", f"malformed text model: {exc}") from None


# -- the hybrid -----------------------------------------------------------------------------


@attrs.frozen
class _Context:
    context: tuple[str, ...]
    negation: tuple[str, ...]
    negation_words: frozenset[str]
    reach: int
    reach_words: int
    not_food: tuple[str, ...]
    food: tuple[str, ...]
    safety_keywords: tuple[tuple[str, tuple[str, ...]], ...]
    needs_keyword: frozenset[str]
    safety_ignore: frozenset[str]
    near_miss: tuple[str, ...]
    safety_doubtful: frozenset[str] = frozenset()
    produce: tuple[str, ...] = ()
    produce_freshness: frozenset[str] = frozenset()


@functools.cache
def _bundled_context() -> _Context:
    table = tomllib.loads(default_text("hybrid.toml"))["hybrid"]
    return _Context(tuple(table["context"]), tuple(table["negation"]),
                    frozenset(table["negation_words"]), int(table["negation_reach"]),
                    int(table["negation_reach_words"]), tuple(table["not_food"]),
                    tuple(table["food"]),
                    tuple((c, tuple(ws)) for c, ws in table["safety_keywords"].items()),
                    frozenset(table["needs_keyword"]), frozenset(table.get("safety_ignore", ())),
                    tuple(table.get("near_miss", ())),
                    frozenset(table.get("safety_doubtful", ())), tuple(table.get("produce", ())),
                    frozenset(table.get("produce_freshness", ())))


def _contains_any(norm: str, words: Iterable[str]) -> str | None:
    for w in words:
        if w.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", norm):
                return w
        elif w in norm:
            return w
    return None


class HybridClassifier(ClassificationPolicy):
    """Keyword rules and a statistical model (logistic regression, or naive Bayes), combined.

    1. The text is normalised like the keywords (scripts, width, case), and words broken by
       punctuation are joined ("拉！肚！子！").
    2. Safety first: a strong food-safety or injury keyword that is not negated
       ("没有受伤", "nobody was hurt", "差点摔倒") makes the case severity 1; so does a weak one when the
       model agrees (its probability of a safety category is at least ``weak_safety``), and
       the model alone when it is at least ``model_safety`` sure (``None``: never). Rule
       keywords listed in ``safety_ignore`` (hybrid.toml) do not count for safety; those
       listed in ``safety_doubtful`` (keywords that stood in more texts that were no safety
       case than in texts that were: "是坏的", "塑料", "受伤") count only when the model gives
       safety at least ``doubtful_safety``. A food-safety verdict needs food: a text naming
       only products that are not eaten ("护肤品过期了", "the toy's paint contains lead", a
       hotel room's "霉味") is not food safety, nor is fruit that is only not fresh
       ("火龙果不新鲜": a quality defect; mouldy fruit is food safety).
    3. Otherwise each non-safety category scores the model's log-probability plus
       ``keyword_weight`` per strong keyword (half per weak one, at most two); marketplace
       and channel names ("京东", "实体店") and phrases such as "到账" are context the
       keywords do not see, and the online/offline inconsistency needs a keyword of its own
       (a comparison such as "网上比店里便宜"), not just a channel name.

    ``evidence`` lists the keywords that fired (``"category:keyword"``) and the n-grams that
    spoke most for the verdict (``"model:拉肚子"``). ``HybridClassifier()`` uses the bundled
    keyword rules and model; pass ``keywords`` or ``model`` to use others. The defaults
    (``keyword_weight`` 1.0, ``weak_safety`` 0.02, ``model_safety`` 0.4,
    ``doubtful_safety`` 0.05) were chosen by cross-validation on the tuning texts of the
    evaluation set.
    """

    version: ClassVar[str] = "h5"

    def __init__(self, keywords: KeywordClassifier | None = None,
                 model: LogisticTextModel | TextModel | None = None,
                 *, keyword_weight: float = 1.0, weak_safety: float = 0.02,
                 model_safety: float | None = 0.4, doubtful_safety: float = 0.05) -> None:
        self.keywords = keywords if keywords is not None else KeywordClassifier()
        self.model = model if model is not None else bundled_model()
        for name, value in (("keyword_weight", keyword_weight), ("weak_safety", weak_safety),
                            ("model_safety", 0.0 if model_safety is None else model_safety),
                            ("doubtful_safety", doubtful_safety)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValidationError(name, f"expected a number ≥ 0, got {value!r}")
        for name, limit in (("weak_safety", weak_safety), ("model_safety", model_safety),
                            ("doubtful_safety", doubtful_safety)):
            if limit is not None and limit > 1:
                raise ValidationError(name, f"a probability threshold is at most 1, got {limit!r}")
        self.keyword_weight = float(keyword_weight)
        self.weak_safety = float(weak_safety)
        self.model_safety = None if model_safety is None else float(model_safety)
        self.doubtful_safety = float(doubtful_safety)
        self._ctx = _bundled_context()
        cats = self.keywords.categories
        self._safety = tuple(c for c, cat in cats.items() if cat.dimension == "safety")
        extra: dict[str, list[str]] = {}
        for c, words in self._ctx.safety_keywords:
            if c in self._safety:
                for w in words:
                    extra.setdefault(w, []).append(c)
        self._extra = shared_matcher(extra, self.keywords.fold) if extra else None
        self._known = {c for c in self.model.categories if c in cats or c == self.keywords.fallback}

    # -- pieces, public so integrators can see why ------------------------------------------

    def normalise(self, text: str) -> str:
        """The text as the classifier reads it (normalised, broken words joined)."""
        return join_split_words(self.keywords.matcher.normalise(text))

    def _mask_context(self, norm: str) -> str:
        for w in self._ctx.context:
            if w in norm:
                norm = norm.replace(w, " ")
        return norm

    def _mask_negation(self, norm: str) -> str:
        out = norm
        for cue in self._ctx.negation:
            start = 0
            while (i := out.find(cue, start)) >= 0:
                j = i + len(cue)
                k = j
                while k < len(out) and k - j < self._ctx.reach and (_IS_CJK.match(out[k])):
                    k += 1
                out = out[:j] + "_" * (k - j) + out[k:]
                start = k if k > j else j
        words = out.split(" ")
        hide = 0
        for n, w in enumerate(words):
            if hide:
                words[n] = "_" * len(w)
                hide -= 1
            if w.strip(".,!?;:") in self._ctx.negation_words:
                hide = self._ctx.reach_words
        return " ".join(words)

    def _not_eaten(self, norm: str) -> str | None:
        """The product that is not eaten ("护肤品") when the text names one and no food."""
        other = _contains_any(norm, self._ctx.not_food)
        return other if other is not None and _contains_any(norm, self._ctx.food) is None \
            else None

    def _stale_produce(self, norm: str, safety_words: Mapping[str, list[str]]) -> str | None:
        """The fruit or vegetable ("火龙果") when every food-safety word of the text only says
        it is not fresh ("不新鲜", "坏的"): a quality defect, not a food-safety case (mould,
        insects or illness still are)."""
        words = safety_words.get("food_safety", [])
        if not words or any(w.removeprefix(WEAK) not in self._ctx.produce_freshness
                            for w in words):
            return None
        return _contains_any(norm, self._ctx.produce)

    def _near_miss(self, norm: str, found: Mapping[str, list[str]],
                   safety_words: Mapping[str, list[str]]) -> bool:
        """Whether a near miss ("差点摔倒") hid every safety keyword the text has: then the
        model alone does not make it a safety case either."""
        return (not safety_words and any(c in found for c in self._safety)
                and _contains_any(norm, self._ctx.near_miss) is not None)

    def safety_chance(self, text: str) -> float:
        """The model's probability that ``text`` is a food-safety or injury case, read as
        :meth:`decide` reads it (negated words hidden): what a weak or doubtful keyword
        needs, and what makes a safety case on its own from ``model_safety``. A desk can
        send the texts that were not made severity 1 but have a chance of, say, 10 % to a
        person for a second look."""
        if not isinstance(text, str):
            raise ValidationError("text", f"expected a string, got {type(text).__name__}")
        norm, masked, no_negation = self._read(text)
        return self._p_safety(self._unsafe(norm, masked, no_negation))

    def _read(self, text: str) -> tuple[str, str, str]:
        """``text`` normalised; with context hidden; and with negated words hidden too."""
        norm = self.normalise(text)
        masked = self._mask_context(norm)
        return norm, masked, self._mask_negation(masked)

    def _unsafe(self, norm: str, masked: str, no_negation: str,
                probs: Mapping[str, float] | None = None) -> Mapping[str, float]:
        """The model's probabilities as safety reads them: with the negated words hidden
        ("没有拉肚子") when a negation hid any, else those of the whole text (``probs``
        when they are known already)."""
        if no_negation != masked:
            return self.model.probabilities(no_negation)
        return probs if probs is not None else self.model.probabilities(norm)

    def _p_safety(self, probs: Mapping[str, float]) -> float:
        return sum(probs.get(c, 0.0) for c in self._safety)

    def decide(self, text: str) -> Classification:
        """The classification of ``text`` (what :meth:`classify` does with the complaint's)."""
        norm, masked, no_negation = self._read(text)
        found = self.keywords.matches(masked)
        negated = self.keywords.matches(no_negation)
        if self._extra is not None:
            for hits, source in ((found, masked), (negated, no_negation)):
                for c, w in self._extra.find(source):
                    hits.setdefault(c, []).append(w)
        probs = self.model.probabilities(norm)
        cats = self.keywords.categories

        # safety: keyword hits that survive the negation mask (keywords that start with a
        # negation themselves, such as "没熟", survive by construction)
        safety_words: dict[str, list[str]] = {}
        ignore = self._ctx.safety_ignore
        for c in self._safety:
            words = [w for w in negated.get(c, []) if w not in ignore]
            words += [w for w in found.get(c, []) if w not in words and w not in ignore and
                      any(cue in w for cue in self._ctx.negation)]
            if words:
                safety_words[c] = words
        evidence: list[str] = []
        other = None
        if "food_safety" in safety_words and (other := self._not_eaten(norm)
                                              or self._stale_produce(norm, safety_words)):
            # a food-safety signal on a product that is not eaten, or produce that is only
            # not fresh: a product problem (and the model alone does not make it one either)
            dropped = safety_words.pop("food_safety")
            found.setdefault("quality_defect", []).extend(dropped)
            evidence.append(f"context:{other}")
        # the model's view of safety ignores what is negated too ("没有拉肚子")
        unsafe = self._unsafe(norm, masked, no_negation, probs)
        p_safety = self._p_safety(unsafe)
        verdict: str | None = None
        doubtful = self._ctx.safety_doubtful
        for c in sorted(safety_words, key=lambda c: -len(safety_words[c])):
            plain = [w for w in safety_words[c] if w.removeprefix(WEAK) not in doubtful]
            strong = any(not w.startswith(WEAK) for w in plain)
            if strong or p_safety >= (self.weak_safety if plain else self.doubtful_safety):
                verdict = c
                break
        if verdict is None and self.model_safety is not None and p_safety >= self.model_safety \
                and not self._near_miss(norm, found, safety_words):
            likely = max(self._safety, key=lambda c: unsafe.get(c, 0.0))
            if likely != "food_safety" or (other is None and self._not_eaten(norm) is None):
                verdict = likely
        for c in self._safety:
            if c != verdict:
                found.pop(c, None)

        if verdict is None:
            best_score = -math.inf
            for c in self._known:
                if c in self._safety or (c in self._ctx.needs_keyword and c not in found):
                    continue
                words = found.get(c, [])
                kw = min(2.0, sum(0.5 if w.startswith(WEAK) else 1.0 for w in words))
                score = math.log(max(probs.get(c, 0.0), 1e-12)) + self.keyword_weight * kw
                if score > best_score:
                    best_score, verdict = score, c
        assert verdict is not None
        for c in [verdict, *(c for c in found if c != verdict)]:
            # a safety verdict names only the safety words that were not negated
            words = safety_words.get(c, []) if c in self._safety else found.get(c, [])
            evidence.extend(f"{c}:{w.removeprefix(WEAK)}" for w in words)
        if verdict in self.model.categories:
            evidence.extend(f"model:{f}" for f in self.model.top_features(norm, verdict))
        cat = cats.get(verdict)
        if cat is None:
            return Classification(verdict, "other", 3, tuple(dict.fromkeys(evidence)))
        return Classification(cat.name, cat.dimension, cat.severity,
                              tuple(dict.fromkeys(evidence)), cat.min_tier)

    def classify(self, complaint: Complaint) -> Classification:
        return self.decide(complaint.text or "")

    def dimension_of(self, category: str) -> str | None:
        return self.keywords.dimension_of(category)

    # -- training and files ------------------------------------------------------------------

    @classmethod
    def train(cls, rows: Iterable[Mapping[str, Any]], *, keywords: KeywordClassifier | None = None,
              kind: str = "logistic", alpha: float = 0.1, accept_weight: float | None = None,
              **options: float) -> HybridClassifier:
        """A classifier whose model is fitted on ``rows`` (see :func:`train_classifier`)."""
        if kind not in ("logistic", "bayes"):
            raise ValidationError("kind", f"expected 'logistic' or 'bayes', got {kind!r}")
        if accept_weight is None:
            accept_weight = ACCEPT_WEIGHT if kind == "logistic" else 1.0
        if not isinstance(accept_weight, int | float) or isinstance(accept_weight, bool) \
                or accept_weight < 0:
            raise ValidationError("accept_weight", f"expected a number ≥ 0, got {accept_weight!r}")
        kw = keywords if keywords is not None else KeywordClassifier()
        known = set(kw.categories) | {kw.fallback}
        items: list[tuple[str, str, float]] = []
        for n, row in enumerate(rows):
            text, category = row.get("text"), row.get("category")
            if not isinstance(text, str) or not text.strip():
                raise ValidationError("text", f"row {n + 1}: expected a non-empty text")
            accept = row.get("accept", ())
            if isinstance(accept, str) or not isinstance(accept, Iterable):
                raise ValidationError("accept", f"row {n + 1}: expected a list of categories")
            for c in (category, *accept):
                if c not in known:
                    raise ValidationError("category", f"row {n + 1}: unknown category {c!r}")
            weight = row.get("weight", 1.0)
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
                raise ValidationError("weight", f"row {n + 1}: expected a positive number")
            norm = join_split_words(kw.matcher.normalise(text))
            items.append((norm, str(category), float(weight)))
            if accept_weight:
                items.extend((norm, str(c), float(weight) * accept_weight) for c in accept)
        if not items:
            raise ValidationError("rows", "at least one labelled text is needed")
        if kind == "bayes":
            return cls(kw, TextModel.fit(items, alpha=alpha), **options)
        return cls(kw, LogisticTextModel.fit(items), **options)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as gzip JSON (the keyword rules live in the policies file)."""
        data = json.dumps(self.model.to_dict(), ensure_ascii=False, separators=(",", ":"))
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(data)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, keywords: KeywordClassifier | None = None,
             **options: float) -> HybridClassifier:
        """A classifier with the model :meth:`save` wrote."""
        return cls(keywords, _read_model(path), **options)


def _read_model(path: str | os.PathLike[str]) -> LogisticTextModel | TextModel:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError("model", f"cannot read a model from {os.fspath(path)!r}: {exc}") from None
    if isinstance(data, Mapping) and data.get("format") == LOGISTIC_FORMAT:
        return LogisticTextModel.from_dict(data)
    return TextModel.from_dict(data)


@functools.cache
def bundled_model() -> LogisticTextModel | TextModel:
    """The model shipped with complaintflow (trained on the tuning part of the evaluation set
    and on the phrasing examples; never on the held-out part)."""
    from importlib.resources import as_file, files

    with as_file(files("complaintflow.policies.data") / _MODEL_FILE) as path:
        return _read_model(path)


def train_classifier(rows: Iterable[Mapping[str, Any]], *,
                     keywords: KeywordClassifier | None = None, kind: str = "logistic",
                     alpha: float = 0.1, accept_weight: float | None = None,
                     **options: float) -> HybridClassifier:
    """Train a :class:`HybridClassifier` on labelled texts.

    ``rows`` are mappings with ``text`` and ``category`` (a category of the keyword rules,
    or their fallback ``"other"``), optionally ``accept`` (other categories a fair reader
    accepts; each counts ``accept_weight`` of a text: 0.25 for the logistic model, 1 for
    naive Bayes) and ``weight``; other keys are ignored, so the evaluation set's JSON lines
    can be passed as they are. ``keywords`` are the rules (default: the bundled ones);
    ``kind`` the model: ``"logistic"`` (:class:`LogisticTextModel`, the default, about
    twenty seconds per thousand texts) or ``"bayes"`` (:class:`TextModel`, instant; ``alpha`` is
    its smoothing); ``options`` go to :class:`HybridClassifier`. An unknown category or
    kind is a :class:`ValidationError`.
    """
    return HybridClassifier.train(rows, keywords=keywords, kind=kind, alpha=alpha,
                                  accept_weight=accept_weight, **options)


# -- measuring ------------------------------------------------------------------------------


@attrs.frozen
class ClassifierScore:
    """How a classifier did on labelled texts (see :func:`evaluate_classifier`).

    ``category``: share filed in the labelled category or one the labeller accepted;
    ``dimension``: the same for the dimension; ``safety_recall``: share of the safety texts
    (severity 1) made severity 1; ``false_severity_1``: share of the texts with no safety
    category among the labelled and accepted ones that were made severity 1; ``other``:
    share of texts labelled ``other``.
    """

    texts: int
    category: float
    dimension: float
    safety_texts: int
    safety_recall: float
    false_severity_1: float
    other: float
    confusions: tuple[tuple[str, str, int], ...] = ()


def evaluate_classifier(classifier: HybridClassifier | KeywordClassifier | Callable[[str], Classification],
                        rows: Iterable[Mapping[str, Any]]) -> ClassifierScore:
    """Score a classifier (or any function from a text to a :class:`Classification`) on
    labelled rows: ``text``, ``category``, optionally ``dimension`` and ``severity`` (by
    default the category's in the keyword rules) and ``accept`` (the other categories a
    fair reader accepts; their dimensions are accepted too)."""
    decide: Callable[[str], Classification] = (
        classifier.decide if isinstance(classifier, HybridClassifier | KeywordClassifier)
        else classifier)
    rules = classifier if isinstance(classifier, HybridClassifier | KeywordClassifier) \
        else KeywordClassifier()
    n = cat_ok = dim_ok = safety = safety_hit = rest = rest_hit = others = 0
    confusions: Counter[tuple[str, str]] = Counter()
    keywords = rules.keywords if isinstance(rules, HybridClassifier) else rules
    for number, row in enumerate(rows, 1):
        text, category = row.get("text"), row.get("category")
        if not isinstance(text, str) or not isinstance(category, str):
            raise ValidationError("rows", f"row {number}: expected a text and a category")
        known = keywords.categories.get(category)
        dimension = row.get("dimension", known.dimension if known else "other")
        severity = row.get("severity", known.severity if known else 3)
        got = decide(text)
        accept = tuple(row.get("accept", ()))
        accepted = {category, *accept}
        # an accepted category's dimension is accepted too (the fallback's is "other")
        dims = {dimension, *(rules.dimension_of(c) or "other" for c in accept)}
        n += 1
        cat_ok += got.category in accepted
        dim_ok += got.dimension in dims
        others += category == "other"
        if got.category not in accepted:
            confusions[(category, got.category)] += 1
        if int(severity) == 1:
            safety += 1
            safety_hit += got.severity == 1
        elif all(rules.dimension_of(c) != "safety" for c in accept):
            rest += 1
            rest_hit += got.severity == 1
    if not n:
        raise ValidationError("rows", "at least one labelled text is needed")
    return ClassifierScore(n, cat_ok / n, dim_ok / n, safety,
                           safety_hit / safety if safety else 1.0,
                           rest_hit / rest if rest else 0.0, others / n,
                           tuple((a, b, k) for (a, b), k in confusions.most_common()))
