"""``cf.load_policies``: the [classification], [scope], [risk] and [duplicates] sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import ChannelDuplicates, DefaultRisk, KeywordClassifier, LineDetection
from complaintflow.policies._config import default_text, parse_policies
from complaintflow.store import MemoryStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
DATA = ("classification.toml", "scope.toml", "risk.toml", "duplicates.toml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policies.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_file_is_no_arguments(tmp_path: Path) -> None:
    assert cf.load_policies(_write(tmp_path, "")) == {}
    assert cf.load_policies(_write(tmp_path, "# only a comment\n")) == {}


def test_bundled_defaults_are_the_constructor_defaults() -> None:
    loaded = parse_policies("\n".join(default_text(name) for name in DATA), "defaults")
    clf, scope, risk, dup = (loaded[k] for k in ("classifier", "scope", "risk", "duplicates"))
    assert isinstance(clf, KeywordClassifier)
    assert clf.categories == KeywordClassifier().categories
    assert clf.fold == KeywordClassifier().fold
    default_scope = LineDetection()
    assert (scope.threshold, scope.window, scope.plane_skus) == (
        default_scope.threshold, default_scope.window, default_scope.plane_skus)
    assert (scope.threshold, scope.window) == (5, timedelta(days=7))  # the complaint-handling brief
    default_risk = DefaultRisk()
    assert (risk.frequent_count, risk.window, risk.churn_satisfaction, risk.churn_keywords) == (
        default_risk.frequent_count, default_risk.window, default_risk.churn_satisfaction,
        default_risk.churn_keywords)
    assert (risk.frequent_count, risk.window) == (3, timedelta(days=30))
    assert dup.window == ChannelDuplicates().window == timedelta(hours=48)


POLICIES = """\
[classification]
[classification.categories.warranty]
dimension = "service"
severity = 2
keywords = ["保修卡", "warranty card"]

[classification.categories.quality_defect]
add_keywords = ["起毛"]

[scope]
threshold = 2
window_days = 3

[risk]
frequent_count = 2
add_churn_keywords = ["bye forever"]

[duplicates]
window_hours = 1
"""


def test_workflow_from_a_file(tmp_path: Path) -> None:
    wf = cf.Workflow(store=MemoryStore(), clock=cf.FrozenClock(T0 + timedelta(days=365)),
                     **cf.load_policies(_write(tmp_path, POLICIES)))
    c = wf.receive("保修卡丢了，店里就不管了", customer_id="C1", channel="hotline", order_id="O1",
                   sku="S", at=T0)
    assert (c.category, c.severity) == ("warranty", 2)
    assert wf.receive("毛衣起毛", customer_id="C2", channel="app", order_id="O2",
                      at=T0).category == "quality_defect"
    # the default categories are still there (the file extends them)
    assert wf.receive("快递三天了还没到", customer_id="C3", channel="app", order_id="O3",
                      at=T0).category == "delivery_delay"
    # threshold 2: the second complaint on the SKU is a line
    second = wf.receive("又坏了", customer_id="C4", channel="app", order_id="O4", sku="S",
                        at=T0 + timedelta(days=2))
    assert second.scope == "line"
    # frequent_count 2 and the added churn words
    again = wf.receive("bye forever", customer_id="C1", channel="email", order_id="O9",
                       at=T0 + timedelta(hours=3))
    assert {"high_frequency", "churn_risk"} <= again.flags
    # window_hours 1: the same order two hours later is a new case
    later = wf.receive("保修卡还是没有", customer_id="C1", channel="wechat", order_id="O1",
                       at=T0 + timedelta(hours=2))
    assert later.id != c.id


def test_replace_mode_starts_from_nothing() -> None:
    loaded = parse_policies("""\
[classification]
mode = "replace"
fallback = "general"
[classification.categories.late]
dimension = "experience"
keywords = ["late", "迟到"]
""")
    clf = loaded["classifier"]
    assert list(clf.categories) == ["late"]
    assert clf.decide("遲到了").category == "late"
    assert clf.decide("假货").category == "general"


def test_remove_and_remove_keywords() -> None:
    clf = parse_policies("""\
[classification.categories.membership_benefit]
remove = true
[classification.categories.quality_defect]
remove_keywords = ["掉色"]
""")["classifier"]
    assert "membership_benefit" not in clf.categories
    assert "掉色" not in clf.categories["quality_defect"].keywords
    assert clf.decide("积分").category == "other"


@pytest.mark.parametrize(("text", "key", "line"), [
    ("[scope]\nthreshold = \"five\"\n", "scope.threshold", 2),
    ("[scope]\nthreshold = 0\n", "scope.threshold", 2),
    ("[scope]\n\nwindow_days = -1\n", "scope.window_days", 3),
    ("[scope]\nthreshhold = 5\n", "scope.threshhold", 2),
    ("[risk]\nfrequent_count = 3\nchurn_satisfaction = 9\n", "risk.churn_satisfaction", 3),
    ("[risk]\nchurn_keywords = [\"ok\", 3]\n", "risk.churn_keywords", 2),
    ("[duplicates]\nwindow_hours = true\n", "duplicates.window_hours", 2),
    ("[classification]\nmode = \"merge\"\n", "classification.mode", 2),
    ("[classification.categories.x]\nseverity = 2\nkeywords = [\"a\"]\n",
     "classification.categories.x.dimension", 1),
    ("[classification.categories.quality_defect]\n# comment\nseverity = 4\n",
     "classification.categories.quality_defect.severity", 3),
    ("[classification.categories.injury]\nseverity = 2\n",
     "classification.categories.injury.severity", 2),
    ("[classification.categories.injury]\nmin_tier = \"front_line\"\n",
     "classification.categories.injury.min_tier", 2),
    ("[classification.categories.x]\ndimension = \"produce\"\nkeywords = [\"a\"]\n",
     "classification.categories.x.dimension", 2),
    ("[classification.categories.x]\ndimension = \"product\"\nkeywords = []\n",
     "classification.categories.x.keywords", 3),
    ("[classification.categories.x]\ndimension = \"product\"\nkeyword = [\"a\"]\n",
     "classification.categories.x.keyword", 3),
    ("[classification.categories.quality_defect]\nremove_keywords = [\"nope\"]\n",
     "classification.categories.quality_defect.remove_keywords", 2),
    ("[classification]\nfold = { \"ab\" = \"c\" }\n", "classification.fold.ab", 2),
    ("[scopes]\nthreshold = 5\n", "scopes", 1),
])
def test_errors_name_the_key_and_the_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(cf.ConfigError) as info:
        cf.load_policies(path)
    err = info.value
    assert err.key == key
    assert err.line == line
    assert str(path) in str(err) and f"line {line}" in str(err)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(cf.ConfigError) as info:
        cf.load_policies(_write(tmp_path, "[scope]\nthreshold = = 5\n"))
    assert info.value.line == 2


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(cf.ConfigError, match="cannot read"):
        cf.load_policies(tmp_path / "nope.toml")


@settings(max_examples=40)
@given(threshold=st.integers(1, 50), days=st.integers(1, 60), plane=st.integers(1, 9),
       count=st.integers(1, 20), hours=st.floats(0.5, 500, allow_nan=False))
def test_every_number_is_read(threshold: int, days: int, plane: int, count: int,
                              hours: float) -> None:
    loaded = parse_policies(
        f"[scope]\nthreshold = {threshold}\nwindow_days = {days}\nplane_skus = {plane}\n"
        f"[risk]\nfrequent_count = {count}\nwindow_days = {days}\n"
        f"[duplicates]\nwindow_hours = {hours!r}\n")
    scope, risk, dup = loaded["scope"], loaded["risk"], loaded["duplicates"]
    assert (scope.threshold, scope.window, scope.plane_skus) == (
        threshold, timedelta(days=days), plane)
    assert (risk.frequent_count, risk.window) == (count, timedelta(days=days))
    assert dup.window == timedelta(hours=hours)


# -- the public parser, the starter file and values TOML cannot hold -------------------------

def _same(a: object, b: object) -> bool:
    """Equal, or (for policy objects without ``==``) of one type with equal attributes."""
    if a == b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple | list):
        assert isinstance(b, tuple | list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dict__"):
        va, vb = vars(a), vars(b)
        return va.keys() == vb.keys() and all(_same(va[k], vb[k]) for k in va)
    return False


def test_the_starter_file_reads_back_to_every_default(tmp_path: Path) -> None:
    from complaintflow.policies import (
        CompensationLadder,
        TieredEscalation,
        parse_policies,
        starter_policies,
    )

    text = starter_policies()
    assert text.startswith("#")
    defaults = {"escalation": TieredEscalation(), "compensation": CompensationLadder(),
                "scope": LineDetection(), "risk": DefaultRisk(),
                "duplicates": ChannelDuplicates(), "classifier": KeywordClassifier(),
                "market": "CN"}
    for loaded in (parse_policies(text, "starter"), cf.load_policies(_write(tmp_path, text))):
        assert loaded.keys() == defaults.keys()
        for keyword, default in defaults.items():
            assert _same(loaded[keyword], default), keyword
    # and a workflow built from it behaves as the default one
    wf = cf.Workflow(clock=cf.FrozenClock(T0), **parse_policies(text))
    plain = cf.Workflow(clock=cf.FrozenClock(T0))
    args = {"customer_id": "C1", "channel": "app", "order_id": "O1", "at": T0}
    a, b = wf.receive("牛奶變質了", **args), plain.receive("牛奶變質了", **args)  # type: ignore[arg-type]
    assert (a.category, a.severity, a.tier, a.deadlines) == (b.category, b.severity, b.tier,
                                                             b.deadlines)


def test_the_starter_file_is_every_bundled_section() -> None:
    from complaintflow.policies import starter_policies

    text = starter_policies()
    for name in ("markets", "escalation", "compensation", "scope", "risk", "duplicates",
                 "classification"):
        assert f"\n[{name}" in text, name


def test_parse_policies_is_public_and_names_its_source() -> None:
    from complaintflow.policies import parse_policies

    assert parse_policies("[scope]\nthreshold = 3\n")["scope"].threshold == 3
    with pytest.raises(cf.ConfigError) as info:
        parse_policies("[scope]\nthreshold = 0\n", "team.toml")
    assert (info.value.key, info.value.line, info.value.source) == ("scope.threshold", 2,
                                                                   "team.toml")
    with pytest.raises(cf.ConfigError):
        parse_policies(b"[scope]")  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "key", "line"), [
    ("[scope]\nwindow_days = inf\n", "scope.window_days", 2),
    ("[scope]\nwindow_days = nan\n", "scope.window_days", 2),
    ("[scope]\nwindow_days = -inf\n", "scope.window_days", 2),
    ("[scope]\nwindow_days = -1\n", "scope.window_days", 2),
    ("[scope]\nwindow_days = 1e300\n", "scope.window_days", 2),
    ("[scope]\nthreshold = 2.5\n", "scope.threshold", 2),
    ("[risk]\n\nwindow_days = nan\n", "risk.window_days", 3),
    ("[risk]\nchurn_satisfaction = 9\n", "risk.churn_satisfaction", 2),
    ("[risk]\nchurn_keywords = \"bye\"\n", "risk.churn_keywords", 2),
    ("[duplicates]\nwindow_hours = inf\n", "duplicates.window_hours", 2),
    ("[duplicates]\nwindow_hours = 0\n", "duplicates.window_hours", 2),
    ("[escalation]\nfollow_up_hours = inf\n", "escalation.follow_up_hours", 2),
    ("[escalation]\npause_limit_hours = nan\n", "escalation.pause_limit_hours", 2),
    ("[escalation]\npause_limit_hours = -3\n", "escalation.pause_limit_hours", 2),
    ("[escalation.table.1]\nowner = \"regional_head\"\nacknowledged = inf\ninvestigated = 4\n"
     "proposed = 6\nresolved = 24\n", "escalation.table.1.acknowledged", 3),
    ("[compensation]\nreturn_shipping = \"inf\"\n", "compensation.return_shipping", 2),
    ("[compensation]\nreturn_shipping = \"NaN\"\n", "compensation.return_shipping", 2),
    ("[compensation]\nreturn_shipping = -5\n", "compensation.return_shipping", 2),
    ("[compensation]\nreturn_shipping = \"1e26\"\n", "compensation.return_shipping", 2),
    ("[compensation.authority]\nfront_line = \"-1\"\n", "compensation.authority.front_line", 2),
    ("[compensation.floors.cn_consumer_fraud]\nmultiple = \"nan\"\n",
     "compensation.floors.cn_consumer_fraud.multiple", 2),
    ("[compensation.floors.cn_consumer_fraud]\nmultiple = \"inf\"\n",
     "compensation.floors.cn_consumer_fraud.multiple", 2),
    ("[compensation.floors.cn_food_safety]\nloss_multiple = -3\n",
     "compensation.floors.cn_food_safety.loss_multiple", 2),
    ("[compensation.floors.cn_online_return]\ndays = 0\n",
     "compensation.floors.cn_online_return.days", 2),
    ("[compensation.floors.cn_online_return]\nchannels = \"app\"\n",
     "compensation.floors.cn_online_return.channels", 2),
    ("[compensation.layer]\ncauses = [\"fraud\", \"bad_luck\"]\n", "compensation.layer.causes", 2),
])
def test_values_toml_can_hold_but_a_policy_cannot_name_key_and_line(text: str, key: str,
                                                                    line: int) -> None:
    from complaintflow.policies import parse_policies

    with pytest.raises(cf.ConfigError) as info:
        parse_policies(text, "policies.toml")
    assert (info.value.key, info.value.line) == (key, line)
    assert f"policies.toml, line {line}" in str(info.value)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: LineDetection(window_days=float("inf")), "window_days"),
    (lambda: LineDetection(window_days=float("nan")), "window_days"),
    (lambda: LineDetection(threshold=True), "threshold"),
    (lambda: DefaultRisk(window_days=10**9), "window_days"),
    (lambda: DefaultRisk(churn_keywords="bye"), "churn_keywords"),
    (lambda: ChannelDuplicates(window_hours=float("-inf")), "window_hours"),
])
def test_the_constructors_hold_the_same_rules(build: object, field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field
