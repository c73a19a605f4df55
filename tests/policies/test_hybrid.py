"""HybridClassifier: measured on the held-out part of real customers' words, and its promises.

The evaluation set (``eval/reviews.jsonl``) holds 1,200 negative reviews drawn at random
from public corpora and labelled by hand; it was split once into a tuning part and a
held-out part. ``eval/extra.jsonl`` holds 1,563 more, drawn later from the same sources
and labelled the same way, and ``eval/more.jsonl`` … ``more5.jsonl`` 36,473 more from the
two Chinese corpora, all for tuning. The bundled model is trained on
the tuning texts and the phrasing examples only (a test below counts its features' document
frequencies again, and with --run-slow another retrains it and compares),
so the held-out figures measure something. The floors are the figures measured when the model
and the rules were fixed, rounded down: one more miss fails.
"""

from __future__ import annotations

import gzip
import json
import math
import pathlib
import tomllib
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import (
    Classification,
    HybridClassifier,
    KeywordClassifier,
    LogisticTextModel,
    TextModel,
    evaluate_classifier,
    train_classifier,
)
from complaintflow.policies.hybrid import bundled_model, join_split_words, text_features
from complaintflow.policies.train import main as train_main

EVAL = pathlib.Path(__file__).resolve().parents[2] / "eval"

#: measured on the held-out part after the model and the rules were fixed on the tuning
#: texts ("h5"): category 89.7 % (446 of 497), dimension 93.2 % (463), safety recall
#: 93.75 % (15 of 16), non-safety texts made severity 1: 1.97 % (9 of 458)
CATEGORY_FLOOR = 446 / 497
DIMENSION_FLOOR = 463 / 497
SAFETY_RECALL_FLOOR = 15 / 16
FALSE_SEVERITY_1_CEILING = 9 / 458


def rows(name: str = "reviews.jsonl", split: str | None = None) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines()]
    return [r for r in out if split is None or r["split"] == split]


@pytest.fixture(scope="module")
def hybrid() -> HybridClassifier:
    return HybridClassifier()


# -- the evaluation set ------------------------------------------------------------------------

def test_the_evaluation_set_is_what_the_docs_say() -> None:
    every = rows()
    assert len(every) == 1200
    assert len({r["id"] for r in every}) == 1200
    sources = {r["source"] for r in every}
    assert sources == {"waimai_10k", "online_shopping_10_cats", "amazon_review_full"}
    chinese = [r for r in every if r["source"] != "amazon_review_full"]
    assert len(chinese) >= 1000
    known = set(KeywordClassifier().categories) | {"other"}
    kw = KeywordClassifier()
    for r in every:
        assert r["split"] in ("tune", "held_out")
        assert r["category"] in known and set(r["accept"]) <= known
        assert r["category"] not in r["accept"]
        dimension = kw.dimension_of(r["category"]) or "other"
        assert r["dimension"] == dimension
        known_category = kw.categories.get(r["category"])
        assert r["severity"] == (1 if dimension == "safety"
                                 else known_category.severity if known_category else 3)
    held = rows(split="held_out")
    assert 0.35 <= len(held) / len(every) <= 0.45


def _squeeze(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _assert_labelled_alike(labelled: list[dict[str, Any]]) -> None:
    """Every row's category and accepted ones are the rules' (or "other"), the first is
    not among the accepted, and the dimension is the category's."""
    kw = KeywordClassifier()
    known = set(kw.categories) | {"other"}
    for r in labelled:
        assert r["category"] in known and set(r["accept"]) <= known, r["id"]
        assert r["category"] not in r["accept"], r["id"]
        assert r["dimension"] == (kw.dimension_of(r["category"]) or "other"), r["id"]


def test_the_extra_tuning_texts_are_new_and_labelled_alike() -> None:
    extra = rows("extra.jsonl")
    assert len(extra) == 1563
    assert {r["split"] for r in extra} == {"tune"}
    assert len({r["id"] for r in extra}) == len(extra)
    assert {r["source"] for r in extra} == {"waimai_10k", "online_shopping_10_cats",
                                           "amazon_review_full"}
    evaluation = {_squeeze(r["text"]) for r in rows()}
    assert not any(_squeeze(r["text"]) in evaluation for r in extra)
    _assert_labelled_alike(extra)


MORE = {"more.jsonl": ("m", 3000), "more2.jsonl": ("n", 4000), "more3.jsonl": ("p", 4800),
        "more4.jsonl": ("q", 7841), "more5.jsonl": ("s", 16832)}


def test_the_further_tuning_texts_are_new_and_labelled_alike() -> None:
    seen = {_squeeze(r["text"]) for r in rows() + rows("extra.jsonl")}
    for name, (prefix, size) in MORE.items():
        more = rows(name)
        assert len(more) == size
        assert [r["id"] for r in more] == [f"{prefix}{i:04d}" for i in range(size)]
        assert {r["split"] for r in more} == {"tune"}
        # the seventh draw: every shopping review left (no food-delivery review was left)
        assert {r["source"] for r in more} == (
            {"online_shopping_10_cats"} if prefix == "s"
            else {"waimai_10k", "online_shopping_10_cats"})
        for r in more:
            key = _squeeze(r["text"])
            # a text of an earlier draw (or of the held-out part) is never drawn again
            assert key not in seen, r["id"]
            seen.add(key)
        _assert_labelled_alike(more)


def test_the_english_tuning_texts_are_new_and_labelled_alike() -> None:
    # every negative review of a public part of the Amazon Review Polarity dataset, title
    # first, with none that holds a text drawn before (the held-out part included)
    english = rows("english.jsonl")
    assert len(english) == 3100
    assert [r["id"] for r in english] == [f"e{i:04d}" for i in range(3100)]
    assert {r["split"] for r in english} == {"tune"}
    assert {r["source"] for r in english} == {"amazon_review_polarity"}
    earlier = [_squeeze(r["text"]) for r in rows() + rows("extra.jsonl")
               + [r for name in MORE for r in rows(name)]]
    seen: set[str] = set()
    for r in english:
        key = _squeeze(r["text"])
        assert key not in seen, r["id"]
        seen.add(key)
        assert not any(e in key for e in earlier), r["id"]
    _assert_labelled_alike(english)


def tuning_rows() -> list[dict[str, Any]]:
    # the tuning texts the bundled model is trained on ("h5"; the English texts of
    # english.jsonl came later and are not in it: see the docs)
    return rows(split="tune") + rows("extra.jsonl") + [r for name in MORE for r in rows(name)]


def training_rows() -> list[dict[str, Any]]:
    return tuning_rows() + rows("phrasing.jsonl")


def test_the_bundled_model_counts_exactly_the_tuning_texts() -> None:
    # every feature's weight in the bundled model is its inverse document frequency over
    # the distinct training texts: counted again here from the tuning texts and the
    # phrasing examples, they are the shipped ones (with the 497 held-out texts counted
    # too, each would be about 0.01 higher, beyond the rounding)
    shipped = bundled_model()
    assert isinstance(shipped, LogisticTextModel)
    normalise = HybridClassifier(model=shipped).normalise
    texts = {normalise(r["text"]) for r in training_rows()}
    df: dict[str, int] = {}
    for text in texts:
        for f in set(text_features(text)):
            df[f] = df.get(f, 0) + 1
    n = len(texts)
    assert n > 5000  # features are kept from 3 distinct texts
    assert all(df.get(f, 0) >= 3 for f in shipped.idf)
    assert shipped.idf == {f: round(math.log((1 + n) / (1 + df[f])) + 1, 3) for f in shipped.idf}
    held = {normalise(r["text"]) for r in rows(split="held_out")}
    assert not held & texts


@pytest.mark.slow
def test_the_bundled_model_never_saw_the_held_out_part() -> None:
    # retraining on the tuning texts and the phrasing examples gives the bundled model
    # exactly (about a quarter of an hour: run with --run-slow)
    again = train_classifier(training_rows()).model
    shipped = bundled_model()
    assert isinstance(shipped, LogisticTextModel)
    assert again.to_dict() == shipped.to_dict()



#: the codes of the label files (eval/build.py)
CODES = {"fs": "food_safety", "inj": "injury", "au": "authenticity", "nd": "not_as_described",
         "qd": "quality_defect", "ch": "channel_inconsistency", "mb": "membership_benefit",
         "dd": "delivery_damage", "dl": "delivery_delay", "pr": "promotion_dispute",
         "st": "staff_attitude", "sa": "slow_after_sales", "rp": "rigid_policy", "ot": "other"}


def test_a_second_reader_agrees_as_the_docs_say() -> None:
    # a second reader labelled the 703 tuning texts of the first draw again, blind; scored
    # like a classifier, they file 688 (97.9 %) in a category the first reader accepted,
    # 695 (98.9 %) in an accepted dimension, and 636 (90.5 %) in the same first choice
    tune = rows(split="tune")
    lines = [line.split() for line in (EVAL / "second_reader_labels.txt").read_text(
        encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert [p[0] for p in lines] == [r["id"] for r in tune]
    kw = KeywordClassifier()
    second = {}
    for r, (_, first, *_alternatives) in zip(tune, lines, strict=True):
        category = CODES[first]
        known = kw.categories.get(category)
        second[r["text"]] = Classification(
            category, known.dimension if known else "other", known.severity if known else 3, ())
    score = evaluate_classifier(lambda text: second[text], tune)
    assert round(score.category * 703) == 688
    assert round(score.dimension * 703) == 695
    assert sum(second[r["text"]].category == r["category"] for r in tune) == 636
    # far above what the hybrid reaches on texts it was not trained on
    assert score.category - CATEGORY_FLOOR > 0.08

# -- the held-out figures ----------------------------------------------------------------------

def test_held_out_scores_stay_above_their_floors(hybrid: HybridClassifier) -> None:
    score = evaluate_classifier(hybrid, rows(split="held_out"))
    assert score.texts == 497
    assert score.category >= CATEGORY_FLOOR
    assert score.dimension >= DIMENSION_FLOOR
    assert score.safety_texts == 16
    assert score.safety_recall >= SAFETY_RECALL_FLOOR
    assert score.false_severity_1 <= FALSE_SEVERITY_1_CEILING


def test_the_hybrid_beats_the_keywords_on_the_held_out_part(hybrid: HybridClassifier) -> None:
    held = rows(split="held_out")
    mixed, keywords = evaluate_classifier(hybrid, held), evaluate_classifier(KeywordClassifier(), held)
    assert mixed.category > keywords.category + 0.4
    assert mixed.dimension > keywords.dimension + 0.4
    assert mixed.safety_recall >= keywords.safety_recall
    assert mixed.false_severity_1 <= keywords.false_severity_1


# -- what real customers write -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "category"), [
    ("拉！肚！子！", "food_safety"),
    ("吃完连拉带吐", "food_safety"),
    ("The chicken made my son sick", "food_safety"),
    ("昨天的外卖吃了以后拉肚子", "food_safety"),
    ("the kettle burned my hand", "injury"),
    ("我要退款，退了一个月还没到账", "slow_after_sales"),
    ("京东买的手机屏幕坏了", "quality_defect"),
    ("新裤子有个洞", "quality_defect"),
    ("都洒出来了", "delivery_damage"),
    ("我买金色给我发一台银色", "not_as_described"),
])
def test_real_phrasings(hybrid: HybridClassifier, text: str, category: str) -> None:
    verdict = hybrid.decide(text)
    assert verdict.category == category
    assert verdict.evidence


@pytest.mark.parametrize("text", [
    "没有受伤", "孩子没有拉肚子，就是送晚了", "nobody was hurt but the box was crushed",
    "the toy's paint contains lead", "护肤品过期了", "the lotion was expired",
])
def test_negation_and_product_type_keep_a_text_out_of_safety(hybrid: HybridClassifier,
                                                              text: str) -> None:
    verdict = hybrid.decide(text)
    assert verdict.dimension != "safety" and verdict.severity != 1


@pytest.mark.parametrize("text", [
    "差点摔倒，地上全是水", "差一点被烫到", "汤洒了一塑料袋", "送餐比蜗牛还慢",
    "饿的有点胃疼，两个小时才送到", "烧开水的壶有股味", "手机背部划伤了",
    "the charger smelled like burnt rubber",
])
def test_near_misses_and_figures_of_speech_are_not_safety(hybrid: HybridClassifier,
                                                          text: str) -> None:
    assert hybrid.decide(text).severity != 1


@pytest.mark.parametrize("text", [
    "用的是地沟油做的东西", "肥肉里面还有瘤子", "鱼头的地方还带着血", "一打开好大一股农药味",
    "吃一次，拉一次肚子", "饭里竟然有瓜子壳", "排骨极其不新鲜", "床上有小东西咬人",
])
def test_safety_words_customers_use(hybrid: HybridClassifier, text: str) -> None:
    assert hybrid.decide(text).severity == 1


def test_the_safety_texts_of_the_tuning_texts_are_severity_1(hybrid: HybridClassifier) -> None:
    safety = [r for r in tuning_rows() if r["severity"] == 1]
    assert len(safety) == 947
    missed = [r["id"] for r in safety if hybrid.decide(r["text"]).severity != 1]
    # two are missed even on the texts the model was trained on: rotten fruit on the
    # trousers (the trousers say "not food") and a sarcastic post about a dairy brand
    # ("差点被毒死": a near miss); the melted plastic bag on the skewers and a hotel's dirty
    # breakfast plates, missed by "h4", are now made severity 1 by the model alone
    assert missed == ["q2150", "q6301"]


@pytest.mark.parametrize("text", [
    "再也不吃了", "吃了一筷子就不想吃了", "真心不行没穿几次就烂了", "麻辣烫就一点点菜",
    "毛血旺图上有鱿鱼虾仁，实物一个也没有", "蜗牛的发货速度，等了10天才收到", "骑蜗牛来的吗",
    "客房里不能烧开水，要叫服务员送开水", "伊利蒙牛没毛病",
])
def test_words_that_say_nothing_about_safety_on_their_own(hybrid: HybridClassifier,
                                                          text: str) -> None:
    # "吃了", "烂了", "烫", "蜗牛", "开水", "血" inside a dish's name: not a safety case
    assert hybrid.decide(text).severity != 1


def test_ignored_rule_keywords_still_count_for_other_categories(hybrid: HybridClassifier) -> None:
    text = "今天的一荤实在是太难吃了，吃了一口就扔了"
    # the rules alone read "吃了" as a (weak) food-safety word
    assert "food_safety" in KeywordClassifier().matches(text)
    verdict = hybrid.decide(text)
    assert verdict.category == "quality_defect" and verdict.severity == 3


@pytest.mark.parametrize("text", [
    "菜里面发现头发了", "米饭里面有石子，菜还行", "饺子没有煮熟。", "菜里吃到了清洁球",
    "吃了肚子还不舒服", "结果又拉又吐", "粥里面有皮蛋的蛋壳", "打死五只蚊子，被蚊子咬得一脸包",
    "鸡蛋没有熟！！！", "手撕包菜有股煤油味", "被小虫叮的身上全是包", "洗得全家头皮发炎",
])
def test_more_safety_words_customers_use(hybrid: HybridClassifier, text: str) -> None:
    assert hybrid.decide(text).severity == 1


@pytest.mark.parametrize("text", [
    "切开里面全是白色的蛆", "牛奶里喝到个不明物", "喝完一天拉了十几次", "苹果上面很多蜡，不敢吃",
    "早餐的餐具没消毒", "苹果一股浓药味", "睡了一晚全身都痒", "房间里有跳蚤", "半夜被虫子咬醒",
    "衣服的商标割皮肤", "打开就是一股粪味",
])
def test_safety_words_of_the_seventh_draw(hybrid: HybridClassifier, text: str) -> None:
    assert hybrid.decide(text).severity == 1


@pytest.mark.parametrize("text", ["火龙果不新鲜", "苹果收到就是坏的", "两个苹果是坏的"])
def test_fruit_that_is_only_not_fresh_is_a_quality_defect(hybrid: HybridClassifier,
                                                          text: str) -> None:
    verdict = hybrid.decide(text)
    assert (verdict.category, verdict.severity) == ("quality_defect", 3)
    assert any(e.startswith("context:") for e in verdict.evidence)


@pytest.mark.parametrize("text", ["火龙果发霉了", "苹果不新鲜，吃了拉肚子", "排骨不新鲜"])
def test_mould_illness_or_meat_keep_food_safety(hybrid: HybridClassifier, text: str) -> None:
    # mouldy fruit, fruit that made someone ill, and meat that is not fresh stay food safety
    assert hybrid.decide(text).category == "food_safety"


@pytest.mark.parametrize("text", [
    "只能算自己倒霉吧！", "差得要命,很大股霉味,勉强住了一晚", "看了一部狗血的电视剧",
    "想吐槽一下这家店的包装",
])
def test_idioms_and_hotel_rooms_are_not_food_safety(hybrid: HybridClassifier, text: str) -> None:
    assert hybrid.decide(text).severity != 1


@pytest.mark.parametrize("text", ["肚子难受了一下午，外卖的鸡肉", "吃完胃难受"])
def test_an_upset_stomach_is_food_safety(hybrid: HybridClassifier, text: str) -> None:
    assert hybrid.decide(text).category == "food_safety"


def _one_feature_model(weight: float) -> LogisticTextModel:
    # a model that reads one character: food safety is likely when weight > 0
    return LogisticTextModel(["food_safety", "quality_defect"], [0.0, 0.0], {"吹": 1.0},
                             {"吹": [weight, -weight]})


def test_a_doubtful_safety_keyword_needs_the_model_to_agree() -> None:
    text = "吹风筒是坏的"  # "是坏的" is a doubtful food-safety keyword
    doubted = HybridClassifier(model=_one_feature_model(-3.0), model_safety=None)
    assert doubted.decide(text).severity == 3
    agreed = HybridClassifier(model=_one_feature_model(3.0), model_safety=None)
    verdict = agreed.decide(text)
    assert verdict.severity == 1 and "food_safety:是坏的" in verdict.evidence
    # with no bar, the doubtful keyword counts like a weak one whatever the model says
    lax = HybridClassifier(model=_one_feature_model(-3.0), model_safety=None,
                           doubtful_safety=0.0)
    assert lax.decide(text).severity == 1


def test_safety_chance_is_what_decide_weighs(hybrid: HybridClassifier) -> None:
    assert hybrid.safety_chance("吃完拉肚子") > 0.5
    assert hybrid.safety_chance("没有拉肚子，就是送晚了") < 0.05  # the negation is hidden
    assert hybrid.safety_chance("衣服掉色") < 0.05
    for weight in (3.0, -3.0):
        model = _one_feature_model(weight)
        clf = HybridClassifier(model=model)
        chance = clf.safety_chance("吹吹")  # no keyword: the model alone decides
        assert chance == pytest.approx(model.probabilities("吹吹")["food_safety"])
        assert (clf.decide("吹吹").severity == 1) == (chance >= clf.model_safety)  # type: ignore[operator]
    with pytest.raises(cf.ValidationError) as info:
        hybrid.safety_chance(None)  # type: ignore[arg-type]
    assert info.value.field == "text"


def test_the_doubtful_keywords_are_safety_keywords() -> None:
    data = files("complaintflow.policies.data") / "hybrid.toml"
    table = tomllib.loads(data.read_text("utf-8"))["hybrid"]
    rules = KeywordClassifier()
    safety = {w.removeprefix("~") for c in ("food_safety", "injury")
              for w in (*rules.categories[c].keywords, *table["safety_keywords"].get(c, ()))}
    assert table["safety_doubtful"] and set(table["safety_doubtful"]) <= safety
    assert set(table["produce_freshness"]) <= safety


@pytest.mark.parametrize("text", ["京东的东西质量太差", "实体店买的裤子有个洞", "网上买的鞋开胶了"])
def test_a_marketplace_or_channel_name_is_context_not_a_category(hybrid: HybridClassifier,
                                                                 text: str) -> None:
    assert hybrid.decide(text).category != "channel_inconsistency"
    # the keyword rules alone read the name as an online/offline inconsistency
    assert "channel_inconsistency" in KeywordClassifier().matches(text)


def test_a_product_that_is_not_food_says_why(hybrid: HybridClassifier) -> None:
    verdict = hybrid.decide("护肤品过期了")
    assert "context:护肤品" in verdict.evidence


def test_evidence_names_keywords_and_model_features(hybrid: HybridClassifier) -> None:
    verdict = hybrid.decide("外卖里吃出一根头发")
    assert verdict.category == "food_safety"
    assert verdict.evidence[0].startswith("food_safety:")
    assert any(e.startswith("model:") for e in verdict.evidence)


def test_words_broken_by_punctuation_are_joined() -> None:
    assert join_split_words("拉！肚！子！") == "拉肚子"
    assert join_split_words("外卖拉！肚！子！") == "外卖拉肚子"
    assert join_split_words("送餐慢，菜难吃") == "送餐慢，菜难吃"
    assert "拉肚子" in text_features(join_split_words("拉，肚，子"))


SAFETY_WORDS = ["拉肚子", "食物中毒", "烫伤", "发霉", "吃出头发"]


@settings(max_examples=80, deadline=None)
@given(word=st.sampled_from(SAFETY_WORDS), marks=st.lists(st.sampled_from("！!…~，*。 "),
                                                          min_size=4, max_size=4),
       before=st.sampled_from(["", "外卖", "昨天吃的", "孩子吃了饭菜"]))
def test_punctuation_inside_a_safety_word_never_hides_it(word: str, marks: list[str],
                                                         before: str) -> None:
    broken = "".join(ch + mark for ch, mark in zip(word, marks, strict=False))
    verdict = HybridClassifier().decide(before + broken)
    assert verdict.severity == 1


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_gets_a_known_category(text: str) -> None:
    h = HybridClassifier()
    verdict = h.decide(text)
    assert verdict.category in set(h.keywords.categories) | {"other"}
    assert verdict.severity in (1, 2, 3)
    if verdict.dimension == "safety":
        assert verdict.severity == 1 and verdict.min_tier is not None


# -- the workflow --------------------------------------------------------------------------------

def test_a_workflow_uses_it(hybrid: HybridClassifier) -> None:
    wf = cf.Workflow(classifier=hybrid)
    c = wf.receive("拉！肚！子！了，昨天的外卖", customer_id="C-1", channel="app")
    assert (c.category, c.severity) == ("food_safety", 1)
    assert c.tier >= cf.Tier.REGIONAL_HEAD
    assert hybrid.dimension_of("delivery_delay") == "experience"


# -- retraining -----------------------------------------------------------------------------------

SMALL: list[dict[str, Any]] = [
    {"text": "送得太慢了", "category": "delivery_delay"},
    {"text": "等了两个小时才送到", "category": "delivery_delay"},
    {"text": "衣服掉色", "category": "quality_defect", "accept": ["not_as_described"]},
    {"text": "质量太差，穿一次就破了", "category": "quality_defect"},
    {"text": "whatever", "category": "other", "weight": 0.5},
]


def test_an_accepted_category_accepts_its_dimension_too() -> None:
    # "other" accepted: filing the text in "other" is right for the category and the
    # dimension alike; an accepted category of another dimension accepts that dimension
    verdicts = {"a": Classification("other", "other", 3, ()),
                "b": Classification("staff_attitude", "service", 2, ()),
                "c": Classification("other", "other", 3, ())}
    labelled = [{"text": "a", "category": "quality_defect", "accept": ["other"]},
                {"text": "b", "category": "delivery_delay", "accept": ["staff_attitude"]},
                {"text": "c", "category": "quality_defect", "accept": ["not_as_described"]}]
    score = evaluate_classifier(lambda text: verdicts[text], labelled)
    assert (score.texts, score.category, score.dimension) == (3, 2 / 3, 2 / 3)
    assert score.confusions == (("quality_defect", "other", 1),)


def test_train_save_and_load(tmp_path: pathlib.Path) -> None:
    trained = train_classifier(SMALL)
    assert set(trained.model.categories) == {"delivery_delay", "quality_defect",
                                              "not_as_described", "other"}
    assert trained.decide("还没送到，太慢").category == "delivery_delay"
    path = tmp_path / "model.json.gz"
    trained.save(path)
    loaded = HybridClassifier.load(path)
    for text in ("还没送到，太慢", "掉色严重", "烫伤了手"):
        assert loaded.decide(text) == trained.decide(text)
    assert loaded.model.to_dict() == trained.model.to_dict()


@pytest.mark.parametrize(("bad", "field"), [
    ([], "rows"),
    ([{"text": "x", "category": "no_such"}], "category"),
    ([{"text": "", "category": "other"}], "text"),
    ([{"text": "x", "category": "other", "accept": "quality_defect"}], "accept"),
    ([{"text": "x", "category": "other", "weight": 0}], "weight"),
])
def test_bad_training_rows_are_refused(bad: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        train_classifier(bad)
    assert info.value.field == field


def test_a_file_that_is_not_a_model_is_refused(tmp_path: pathlib.Path) -> None:
    junk = tmp_path / "junk.json.gz"
    junk.write_bytes(b"not gzip")
    with pytest.raises(cf.ValidationError, match="cannot read a model"):
        HybridClassifier.load(junk)
    with gzip.open(junk, "wt", encoding="utf-8") as f:
        json.dump({"format": 99}, f)
    with pytest.raises(cf.ValidationError, match="format 1"):
        HybridClassifier.load(junk)
    with pytest.raises(cf.ValidationError, match="malformed"):
        TextModel.from_dict({"format": 1, "categories": ["a"], "docs": [], "alpha": 0.1,
                             "counts": {}})


def test_a_malformed_logistic_model_is_refused() -> None:
    good = {"format": 2, "categories": ["a", "b"], "bias": [0, 0], "idf": {"w:fine": 1.0},
            "weights": {"w:fine": [0.5, -0.5]}}
    model = LogisticTextModel.from_dict(good)
    assert model.probabilities("fine")["a"] > 0.5 > model.probabilities("else")["b"] - 1e-9
    assert model.top_features("fine", "a") == ["fine"]
    for bad in ({**good, "weights": {"w:fine": [0.5]}}, {**good, "idf": {}},
                {**good, "bias": [0, "nan"]}, {**good, "categories": []},
                {**good, "format": 3}, {k: v for k, v in good.items() if k != "bias"}):
        with pytest.raises(cf.ValidationError):
            LogisticTextModel.from_dict(bad)


def test_naive_bayes_still_trains_and_loads(tmp_path: pathlib.Path) -> None:
    bayes = train_classifier(SMALL, kind="bayes")
    assert isinstance(bayes.model, TextModel)
    bayes.save(tmp_path / "nb.json.gz")
    loaded = HybridClassifier.load(tmp_path / "nb.json.gz")
    assert loaded.decide("还没送到，太慢").category == "delivery_delay"
    with pytest.raises(cf.ValidationError) as info:
        train_classifier(SMALL, kind="svm")
    assert info.value.field == "kind"
    with pytest.raises(cf.ValidationError) as info:
        train_classifier(SMALL, accept_weight=-1)
    assert info.value.field == "accept_weight"


@pytest.mark.parametrize("options", [{"keyword_weight": -1}, {"weak_safety": 2},
                                     {"model_safety": 1.5}, {"keyword_weight": True},
                                     {"doubtful_safety": -0.1}, {"doubtful_safety": 1.2}])
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(cf.ValidationError):
        HybridClassifier(**options)


def test_the_training_command(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps({**r, "split": "tune"}, ensure_ascii=False)
                              for r in SMALL) + "\n", encoding="utf-8")
    out = tmp_path / "model.json.gz"
    assert train_main([str(data), "--out", str(out), "--split", "tune",
                       "--evaluate", str(data)]) == 0
    printed = capsys.readouterr().out
    assert "trained on 5 texts" in printed and "category" in printed
    assert HybridClassifier.load(out).decide("送得太慢了").category == "delivery_delay"
    assert train_main([str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 2
    assert "cannot read" in capsys.readouterr().err
