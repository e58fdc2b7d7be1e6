"""Follow-up questions resolved from the previous turn."""

from __future__ import annotations

import pytest

from qa.reading.followup import missing_referent, previous_topic, resolve_followup, resolve_history


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("今天白天最高气温是多少？", "那明天呢？", "明天白天最高气温是多少？"),
        ("302省道与525国道平改立工程项目位于哪里？", "它的总投资是多少？", "302省道与525国道平改立工程项目的总投资是多少？"),
        ("独山港区A3泊位的设计年综合通过能力是多少？", "该项目什么时候开始试运行？", "独山港区A3泊位什么时候开始试运行？"),
        ("张婷婷带来了什么建议？", "那沈建锋呢？", "沈建锋张婷婷带来了什么建议？"),
        ("张婷婷带来了什么建议？", "市政协会议什么时候开幕？", "市政协会议什么时候开幕？"),
        (None, "那明天呢？", "那明天呢？"),
    ],
)
def test_resolve_followup(previous, question, expected):
    assert resolve_followup(question, previous) == expected


def test_topic_and_history_chain():
    assert previous_topic("302省道与525国道平改立工程项目位于哪里？") == "302省道与525国道平改立工程项目"
    assert previous_topic("谁主持会议？") is None
    assert resolve_history("那后天呢？", ["今天白天最高气温是多少？", "那明天呢？"]) == "后天白天最高气温是多少？"
    assert (
        resolve_history("它长约多少？", ["项目总投资多少？", "302省道与525国道平改立工程项目位于哪里？"])
        == "302省道与525国道平改立工程项目长约多少？"
    )


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("它的总投资是多少？", [], "它"),
        ("那明天呢？", [], "那明天呢"),
        ("该项目什么时候开工？", ["谁主持会议？"], "该项目"),
        ("它的总投资是多少？", ["302省道与525国道平改立工程项目位于哪里？"], None),
        ("那明天呢？", ["今天白天最高气温是多少？"], None),
        ("其中哪个园区获评示范基地？", [], None),
        ("市政协会议什么时候开幕？", [], None),
    ],
)
def test_missing_referent(question, history, expected):
    assert missing_referent(question, history) == expected
