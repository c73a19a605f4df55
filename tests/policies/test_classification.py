"""The default classifier against the complaint-handling brief, with real customer phrasing."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import Classification, ClassificationPolicy, KeywordClassifier
from complaintflow.policies.classification import DIMENSIONS, Category, KeywordMatcher
from complaintflow.store import MemoryStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)

#: category → texts written the way customers write (simplified, traditional, English).
CASES: dict[str, list[str]] = {
    "quality_defect": [
        "衣服洗一次就掉色了", "穿了兩天就開膠", "新买的电饭煲用了三天就坏了，按键失灵",
        "連衣裙第一次冷水手洗就嚴重褪色", "毛衣起球太厉害了，质量太差",
        "the sole came off after a week", "my jumper shrank after one wash",
        "kettle stopped working after two uses", "The zip broke and the seams are coming apart",
    ],
    "not_as_described": [
        "收到的跟图片不一样，货不对板", "顏色和描述不符，色差很大", "发错货了，我买的是黑色",
        "item is not as described, the fabric is thin", "they sent me the wrong size",
        "looks nothing like the photo on the website",
    ],
    "authenticity": [
        "買到假貨", "怀疑是高仿，防伪码查不到", "这双鞋是不是正品？感觉是山寨的",
        "I think this bag is a fake", "the perfume is counterfeit",
        "received a refurbished phone sold as new, not genuine",
    ],
    "staff_attitude": [
        "客服愛理不理", "店员态度很差还翻白眼", "收银员直接骂人", "打电话过去客服不耐烦，直接挂了",
        "the guy at the counter was so rude", "staff were condescending and laughed at me",
        "the manager yelled at my mother",
    ],
    "slow_after_sales": [
        "售后一直没有回复，石沉大海", "退款还没到，都等了半个月了", "热线电话打不通，没人接",
        "申請售後一個星期了還沒處理", "still waiting for my refund after 2 weeks",
        "I emailed three times and never heard back", "no one picks up the hotline",
    ],
    "rigid_policy": [
        "门店拒绝退换，说是公司规定", "吊牌剪了就不给退", "超过七天就不能退，太死板了",
        "they refused to exchange it without a receipt", "only offered store credit, no refunds",
        "they charged a restocking fee for an unopened box",
    ],
    "delivery_delay": [
        "快递三天了还没到", "下单一周了还没发货", "物流信息一直不更新", "外賣超時一個多小時",
        "my parcel still hasn't arrived", "the delivery is two weeks late",
        "tracking hasn't updated since Monday, where is my order?",
    ],
    "delivery_damage": [
        "快递压坏了，盒子都扁了", "收到的时候杯子就碎了", "外包裝破損，裡面的東西摔壞了",
        "the parcel arrived smashed", "box was crushed and the vase shattered",
        "the TV arrived cracked, damaged in transit",
    ],
    "channel_inconsistency": [
        "网上比店里便宜", "官网价格和门店价格不一致", "線上買的門店不承認",
        "it is cheaper online than in your store", "the store wouldn't honour the online price",
        "website says in stock but the shop had none",
    ],
    "membership_benefit": [
        "积分不能用", "会员折扣没有给我", "我的積分被清零了", "生日券没发给我",
        "my loyalty points disappeared", "the member discount was not given at the till",
        "my gift card balance is wrong",
    ],
    "promotion_dispute": [
        "満減活動不給算", "优惠券用不了，结账没算上", "刚买就降价，要求价保退差价",
        "雙十一的滿減沒算上", "the coupon code doesn't work", "I was overcharged, the shelf price said 99",
        "buy one get one free was not applied at checkout",
    ],
    "food_safety": [
        "吃了拉肚子", "外賣里有頭髮", "面包发霉了还在卖", "牛奶过了保质期", "吃完上吐下泻，怀疑食物中毒",
        "found a cockroach in my salad", "the chicken was undercooked and we got sick",
        "my son had diarrhoea after eating your sandwich",
    ],
    "injury": [
        "吹风机漏电把我电到了", "椅子断了摔倒受伤", "充電寶爆炸把手燙傷了", "用了面霜脸上起疹子过敏",
        "the heater caught fire", "I cut myself on a sharp edge of the table",
        "the toy gave my child a rash", "she slipped on the wet floor and fell",
    ],
}


@pytest.fixture(scope="module")
def clf() -> KeywordClassifier:
    return KeywordClassifier()


def _draft(text: str) -> cf.Complaint:
    return cf.Complaint(id="X", state=cf.State.RECEIVED, version=1, history=(), customer_id="C",
                        channel="hotline", received_at=T0, text=text)


@pytest.mark.parametrize(("category", "text"),
                         [(c, t) for c, ts in CASES.items() for t in ts])
def test_customer_phrasing(clf: KeywordClassifier, category: str, text: str) -> None:
    verdict = clf.classify(_draft(text))
    assert verdict.category == category, verdict.evidence
    assert verdict.evidence, "evidence must say which keywords fired"
    assert verdict.evidence[0].startswith(f"{category}:")


#: Short colloquial texts, one line as customers type them.
COLLOQUIAL: dict[str, list[str]] = {
    "quality_defect": [
        "鞋子穿一次就坏", "裤子一洗就缩水", "手机壳用两天就裂了", "拉鏈一拉就壞", "耳機沒聲音了",
        "杯子漏水", "the shirt faded after one wash", "my shoes fell apart in a week",
        "the lamp stopped working", "zip broke straight away", "it broke after two days",
    ],
    "not_as_described": [
        "跟图片不一样", "颜色不对", "尺码发错了", "货不对板啊", "收到的不是我买的",
        "not what the picture showed", "wrong colour sent", "the size is wrong",
    ],
    "authenticity": [
        "这是假货吧", "买到高仿了", "感觉不是正品", "是不是假的啊", "it's a fake",
        "sold me a counterfeit", "not genuine at all",
    ],
    "staff_attitude": [
        "服务员态度好差", "店员骂我", "客服很凶", "售货员爱答不理的", "收银员甩脸色",
        "the waiter was rude", "staff laughed at me", "the cashier was so unfriendly",
        "she shouted at me",
    ],
    "slow_after_sales": [
        "退款一直没到账", "客服一直不回复", "申请售后没人理", "等了一周都没人处理",
        "still waiting for a refund", "no one replied to my email",
        "it's been two weeks and no refund", "customer service never got back to me",
    ],
    "rigid_policy": [
        "不给退货", "店里不让换", "说过了七天不能退", "门店不给退换",
        "they won't let me return it", "refused my refund", "they won't exchange it",
        "said no returns",
    ],
    "delivery_delay": [
        "快递还没到", "一个星期了还没收到货", "怎么还不发货", "外卖还没送来", "物流好慢",
        "my parcel hasn't come", "the delivery is late", "order still not here after 10 days",
        "still haven't received my order",
    ],
    "delivery_damage": [
        "快递摔坏了", "收到就是碎的", "包装都压烂了", "东西被压坏了", "the box was crushed",
        "arrived broken", "it came damaged", "the courier broke it",
    ],
    "channel_inconsistency": [
        "网上便宜店里贵", "线上线下价格不一样", "网上买的店里不给退", "app上比门店便宜",
        "cheaper on your website", "online price is lower than in store",
        "store won't match the online price",
    ],
    "membership_benefit": [
        "积分没了", "会员价没给我", "会员卡用不了", "积分兑换不了", "生日优惠没有",
        "my points are gone", "member discount not given", "can't use my loyalty points",
    ],
    "promotion_dispute": [
        "满减没算", "优惠券用不了", "刚买就降价了", "说好的赠品没给", "活动价没给我",
        "the coupon didn't work", "the discount wasn't applied",
        "price went down right after I bought it", "buy one get one wasn't honoured",
    ],
    "food_safety": [
        "吃了肚子疼", "面包过期了", "菜里有虫", "饭菜变质了", "喝完拉肚子", "吃出了头发",
        "there was a bug in my food", "the milk was expired", "I got food poisoning",
        "the chicken was raw",
    ],
    "injury": [
        "孩子被划伤了", "被烫伤了", "充电器把我电了一下", "摔了一跤", "I got burned",
        "my kid cut his hand", "the chair broke and I fell", "it exploded in my hand",
    ],
}



@pytest.mark.parametrize(("category", "text"),
                         [(c, t) for c, ts in COLLOQUIAL.items() for t in ts])
def test_short_colloquial_phrasing(clf: KeywordClassifier, category: str, text: str) -> None:
    assert clf.classify(_draft(text)).category == category


def test_every_default_category_is_covered() -> None:
    names = set(KeywordClassifier().categories)
    assert names == set(CASES)
    # the exact names and dimensions of the complaint-handling brief
    dims = {n: c.dimension for n, c in KeywordClassifier().categories.items()}
    assert dims == {
        "quality_defect": "product", "not_as_described": "product", "authenticity": "product",
        "staff_attitude": "service", "slow_after_sales": "service", "rigid_policy": "service",
        "delivery_delay": "experience", "delivery_damage": "experience",
        "channel_inconsistency": "experience", "membership_benefit": "experience",
        "promotion_dispute": "operations", "food_safety": "safety", "injury": "safety",
    }


def test_nothing_matches_is_other(clf: KeywordClassifier) -> None:
    v = clf.classify(_draft("你好，请问营业时间是几点？"))
    assert (v.category, v.dimension, v.severity, v.evidence) == ("other", "other", 3, ())


def test_safety_is_severity_one_and_regional_head(clf: KeywordClassifier) -> None:
    for text in CASES["food_safety"] + CASES["injury"]:
        v = clf.classify(_draft(text))
        assert v.severity == 1
        assert v.dimension == "safety"
        assert v.min_tier is not None and v.min_tier >= cf.Tier.REGIONAL_HEAD


def test_staff_attitude_is_severity_two(clf: KeywordClassifier) -> None:
    for text in CASES["staff_attitude"]:
        assert clf.classify(_draft(text)).severity == 2


def test_safety_beats_everything(clf: KeywordClassifier) -> None:
    text = "店员态度很差，快递也晚到，优惠券没算上，而且吃了拉肚子"
    v = clf.classify(_draft(text))
    assert v.category == "food_safety"
    cats = {e.split(":", 1)[0] for e in v.evidence}
    assert {"staff_attitude", "delivery_delay", "promotion_dispute"} <= cats


def test_severity_then_hits_then_order(clf: KeywordClassifier) -> None:
    # severity: attitude (2) beats a defect (3) with more hits
    v = clf.classify(_draft("衣服掉色又起球还开线，店员态度很差"))
    assert v.category == "staff_attitude"
    # hits: two delivery-delay keywords beat one quality keyword
    v = clf.classify(_draft("快递三天了还没到，拉链也坏"))
    assert v.category == "delivery_delay"


def test_weak_keywords_only_decide_alone(clf: KeywordClassifier) -> None:
    # "不能用" is weak: the strong "积分" decides
    assert clf.classify(_draft("积分不能用")).category == "membership_benefit"
    # alone, a weak keyword still classifies
    assert clf.classify(_draft("这个东西不能用")).category == "quality_defect"


def test_a_weak_safety_word_alone_does_not_make_a_safety_case(clf: KeywordClassifier) -> None:
    v = clf.classify(_draft("这张券什么时候过期"))
    assert v.category == "promotion_dispute"
    assert "food_safety:过期" in v.evidence
    assert clf.classify(_draft("我气炸了，客服一直不回")).dimension != "safety"
    # with nothing else to go on, the weak safety word still counts
    assert clf.classify(_draft("这东西过期了")).category == "food_safety"


def test_scripts_are_equivalent(clf: KeywordClassifier) -> None:
    pairs = [("退款还没到，售后一直没有回复", "退款還沒到，售後一直沒有回覆"),
             ("门店拒绝退换", "門店拒絕退換"), ("外卖里有头发", "外賣裡有頭髮")]
    for simplified, traditional in pairs:
        a, b = clf.classify(_draft(simplified)), clf.classify(_draft(traditional))
        assert (a.category, a.evidence) == (b.category, b.evidence)


def test_english_is_case_and_plural_insensitive(clf: KeywordClassifier) -> None:
    for text in ("The PARCEL ARRIVED SMASHED", "two parcels arrived smashed"):
        assert clf.classify(_draft(text)).category == "delivery_damage"
    # whole words only: "later" is not "late", "prudent" is not "rude"
    assert clf.classify(_draft("call me later please, be prudent")).category == "other"
    # full-width letters are read as ASCII
    assert clf.classify(_draft("ＲＵＤＥ ｓｔａｆｆ")).category == "staff_attitude"


def test_evidence_lists_every_match(clf: KeywordClassifier) -> None:
    v = clf.classify(_draft("連衣裙第一次冷水手洗就嚴重褪色，門店拒絕退換"))
    assert v.category == "quality_defect"
    assert "quality_defect:褪色" in v.evidence
    assert "rigid_policy:拒绝退换" in v.evidence
    assert clf.matches("褪色褪色") == {"quality_defect": ["褪色", "褪色"]}


def test_workflow_records_classification_and_owner() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore())
    c = wf.receive("吃了你們的麵包上吐下瀉", customer_id="C1", channel="hotline", order_id="O1")
    assert (c.category, c.dimension, c.severity) == ("food_safety", "safety", 1)
    assert c.tier >= cf.Tier.REGIONAL_HEAD
    assert any(e.startswith("food_safety:") for e in c.evidence)
    assert list(c.history[0].data["evidence"]) == list(c.evidence)


# -- replacing the policy -------------------------------------------------------------------


class EverythingIsPromotion(ClassificationPolicy):
    def classify(self, complaint: cf.Complaint) -> Classification:
        return Classification("promotion_dispute", "operations", 3, ("always",))


def test_overriding_classify_changes_the_outcome() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), classifier=EverythingIsPromotion())
    c = wf.receive("快递三天了还没到", customer_id="C1", channel="app", order_id="O1")
    assert c.category == "promotion_dispute"
    assert c.evidence == ("always",)


class Stricter(KeywordClassifier):
    """A subclass that only changes the decision for one word."""

    def classify(self, complaint: cf.Complaint) -> Classification:
        if "12315" in (complaint.text or ""):
            return Classification("staff_attitude", "service", 2, ("regulator",))
        return super().classify(complaint)


def test_subclass_of_default_can_refine() -> None:
    s = Stricter()
    assert s.classify(_draft("快递慢，我要打12315")).category == "staff_attitude"
    assert s.classify(_draft("快递慢")).category == "delivery_delay"


def test_categories_can_be_built_in_code() -> None:
    clf = KeywordClassifier([Category("warranty", "service", 3, ("保修卡", "warranty card"))])
    assert clf.classify(_draft("没有保修卡")).category == "warranty"
    assert clf.classify(_draft("lost my warranty cards")).category == "warranty"
    assert clf.classify(_draft("掉色")).category == "other"


def test_categories_can_be_given_as_plain_mappings() -> None:
    clf = KeywordClassifier({"installation": {"dimension": "service", "severity": 2,
                                              "keywords": ["上门安装"]}})
    v = clf.classify(_draft("上門安裝的師傅沒來"))
    assert (v.category, v.dimension, v.severity) == ("installation", "service", 2)


def test_a_safety_category_is_always_severity_one() -> None:
    cat = Category("allergen", "safety", 3, ("花生",))
    assert cat.severity == 1 and cat.min_tier == cf.Tier.REGIONAL_HEAD
    with pytest.raises(cf.ValidationError, match="dimension"):
        Category("x", "nonsense", 3, ("a",))


# -- properties ------------------------------------------------------------------------------

words = st.text(alphabet=st.characters(codec="utf-8", categories=["Lo", "Ll", "Lu", "Nd", "Zs",
                                                                   "Po"]),
                max_size=40)


@settings(max_examples=80)
@given(words)
def test_any_text_gets_a_valid_classification(text: str) -> None:
    clf = _shared()
    v = clf.decide(text)
    assert v.dimension in DIMENSIONS
    assert v.severity in (1, 2, 3)
    if v.category == "other":
        assert v.evidence == ()
    else:
        assert v.evidence and v.evidence[0].startswith(v.category + ":")
        assert (v.dimension == "safety") == (v.severity == 1)


@settings(max_examples=60)
@given(prefix=words, suffix=words, category=st.sampled_from(["food_safety", "injury"]))
def test_a_safety_keyword_anywhere_wins(prefix: str, suffix: str, category: str) -> None:
    clf = _shared()
    keyword = next(k for k in clf.categories[category].keywords if not k.startswith("~"))
    v = clf.decide(f"{prefix}。{keyword.rstrip('*')} 。{suffix}")
    assert v.dimension == "safety"
    assert v.severity == 1


_LABELS = {"开胶": "a", "快递慢": "b", "rude": "c", "rudes": "c", "RUDE": "c", "假货": "d",
           "loose thread": "e", "loose threads": "e", "loose": "f", "injured": "g",
           "injury": "g"}


@settings(max_examples=80)
@given(st.lists(st.sampled_from([*_LABELS, "pointless", "prude", "rudeness", "looser", "in"]),
                max_size=8))
def test_matcher_finds_each_occurrence_in_order(parts: list[str]) -> None:
    m = KeywordMatcher({"开胶": ["a"], "快递慢": ["b"], "rude": ["c"], "假货": ["d"],
                        "loose thread": ["e"], "loose": ["f"], "injur*": ["g"]})
    text = " ".join(parts)
    # whole words with an English ending only; "loose thread" (longest) beats "loose"
    expected = [_LABELS[p] for p in parts if p in _LABELS]
    assert [label for label, _ in m.find(text)] == expected


_CLF: list[KeywordClassifier] = []


def _shared() -> KeywordClassifier:
    if not _CLF:
        _CLF.append(KeywordClassifier())
    return _CLF[0]


def test_any_safety_verdict_is_severity_one_and_regional_head() -> None:
    v = Classification("choking", "safety", 3, ["model"], cf.Tier.FRONT_LINE)  # type: ignore[arg-type]
    assert v.severity == 1
    assert v.min_tier == cf.Tier.REGIONAL_HEAD
    assert v.evidence == ("model",)
    assert Classification("x", "safety", 2, (), cf.Tier.EXECUTIVE).min_tier == cf.Tier.EXECUTIVE


def test_every_default_keyword_can_match(clf: KeywordClassifier) -> None:
    for name, cat in clf.categories.items():
        for keyword in cat.keywords:
            text = keyword.removeprefix("~").removesuffix("*")
            assert keyword in clf.matches(text).get(name, []), (name, keyword)


@settings(max_examples=60)
@given(st.data())
def test_traditional_script_matches_like_simplified(data: st.DataObject) -> None:
    clf = _shared()
    s2t = _s2t()
    name = data.draw(st.sampled_from(sorted(clf.categories)))
    cjk = [k.removeprefix("~") for k in clf.categories[name].keywords if not k.isascii()]
    keyword = data.draw(st.sampled_from(cjk))
    simplified, traditional = clf.decide(keyword), clf.decide(s2t.convert(keyword))
    assert (traditional.category, traditional.evidence) == (simplified.category, simplified.evidence)


@functools.cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")
