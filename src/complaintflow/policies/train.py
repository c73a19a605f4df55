"""Train the hybrid classifier's model on labelled texts and measure it.

    python -m complaintflow.policies.train TRAIN.jsonl [MORE.jsonl ...] --out model.json.gz
        [--split tune] [--kind logistic|bayes]
        [--evaluate HELD_OUT.jsonl [--evaluate-split held_out]]

Each input line is a JSON object with ``text`` and ``category`` (and optionally ``accept``,
``weight``, ``split``). ``--split`` keeps only the lines whose ``split`` is that value (lines
without a ``split`` are always kept). ``--evaluate`` prints the scores of the trained
classifier on other labelled lines (with ``dimension`` and ``severity`` too). ``--kind``
chooses the model: logistic regression (the default, what complaintflow ships) or naive
Bayes. Load the result with ``HybridClassifier.load(path)``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from complaintflow.exceptions import ComplaintflowError, ValidationError
from complaintflow.policies.hybrid import evaluate_classifier, train_classifier

__all__ = ["main", "read_jsonl"]


def read_jsonl(path: str, split: str | None = None) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON-lines file, only those of ``split`` when given (lines
    without a ``split`` key always)."""
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValidationError("rows", f"{path}:{n}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise ValidationError("rows", f"{path}:{n}: expected a JSON object")
                if split is None or row.get("split", split) == split:
                    yield row
    except OSError as exc:
        raise ValidationError("rows", f"cannot read {path!r}: {exc.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 done, 2 refused)."""
    parser = argparse.ArgumentParser(prog="python -m complaintflow.policies.train",
                                     description="Train the hybrid classifier's model.")
    parser.add_argument("inputs", nargs="+", help="labelled JSON-lines files")
    parser.add_argument("--out", required=True, help="where to write the model (.json.gz)")
    parser.add_argument("--split", default=None, help="train only on lines of this split")
    parser.add_argument("--kind", choices=("logistic", "bayes"), default="logistic",
                        help="the model (default: logistic regression)")
    parser.add_argument("--alpha", type=float, default=0.1,
                        help="naive Bayes smoothing (default 0.1)")
    parser.add_argument("--evaluate", default=None, help="labelled lines to score the result on")
    parser.add_argument("--evaluate-split", default=None, help="score only lines of this split")
    args = parser.parse_args(argv)
    try:
        rows = [row for path in args.inputs for row in read_jsonl(path, args.split)]
        classifier = train_classifier(rows, kind=args.kind, alpha=args.alpha)
        classifier.save(args.out)
        print(f"trained on {len(rows)} texts, model written to {args.out}")
        if args.evaluate:
            score = evaluate_classifier(classifier,
                                        list(read_jsonl(args.evaluate, args.evaluate_split)))
            print(f"{score.texts} texts: category {score.category:.1%}, dimension "
                  f"{score.dimension:.1%}, safety recall {score.safety_recall:.1%} "
                  f"({score.safety_texts} texts), wrongly severity 1 {score.false_severity_1:.1%}")
    except ComplaintflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
