"""Join the drawn samples with their hand labels (run after editing labels).

    python eval/build.py

``sample.jsonl`` + ``labels.txt`` → ``reviews.jsonl`` (the evaluation set: tuning and
held-out parts); ``extra_sample.jsonl`` + ``extra_labels.txt`` → ``extra.jsonl`` (more
tuning texts, all of split ``tune``); ``more_sample.jsonl`` + ``more_labels.txt`` →
``more.jsonl``, and likewise ``more2`` to ``more5`` (the third to seventh draws,
for tuning too); ``english_sample.jsonl`` + ``english_labels.txt`` → ``english.jsonl``
(English reviews from a second Amazon dataset, for tuning).
"""

import json
import pathlib

HERE = pathlib.Path(__file__).parent
CODES = {
    "fs": ("food_safety", "safety", 1), "inj": ("injury", "safety", 1),
    "au": ("authenticity", "product", 2), "nd": ("not_as_described", "product", 3),
    "qd": ("quality_defect", "product", 3), "ch": ("channel_inconsistency", "experience", 3),
    "mb": ("membership_benefit", "experience", 3), "dd": ("delivery_damage", "experience", 3),
    "dl": ("delivery_delay", "experience", 3), "pr": ("promotion_dispute", "operations", 3),
    "st": ("staff_attitude", "service", 2), "sa": ("slow_after_sales", "service", 3),
    "rp": ("rigid_policy", "service", 3), "ot": ("other", "other", 3),
}


def build(sample: str, label_file: str, prefix: str, target: str) -> None:
    labels = {}
    for line in (HERE / label_file).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rid, first, *rest = line.split()
            assert first not in rest, f"{rid}: repeated code"
            assert len(set(rest)) == len(rest), f"{rid}: repeated code"
            labels[prefix + rid] = (first, rest)
    out = []
    for line in (HERE / sample).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        first, rest = labels.pop(row["id"])
        category, dimension, severity = CODES[first]
        accept = [CODES[c][0] for c in rest]
        out.append({"id": row["id"], "split": row["split"], "source": row["source"],
                    "row": row["row"], "text": row["text"], "category": category,
                    "dimension": dimension, "severity": severity, "accept": accept})
    assert not labels, f"labels without a text: {sorted(labels)[:5]}"
    with open(HERE / target, "w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    build("sample.jsonl", "labels.txt", "r", "reviews.jsonl")
    build("extra_sample.jsonl", "extra_labels.txt", "x", "extra.jsonl")
    build("more_sample.jsonl", "more_labels.txt", "m", "more.jsonl")
    build("more2_sample.jsonl", "more2_labels.txt", "n", "more2.jsonl")
    build("more3_sample.jsonl", "more3_labels.txt", "p", "more3.jsonl")
    build("more4_sample.jsonl", "more4_labels.txt", "q", "more4.jsonl")
    build("more5_sample.jsonl", "more5_labels.txt", "s", "more5.jsonl")
    build("english_sample.jsonl", "english_labels.txt", "e", "english.jsonl")


if __name__ == "__main__":
    main()
