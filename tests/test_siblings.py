"""Siblings: a sentence naming another route, ordinal, code, year or the other of a pair instead of the question's."""

import pytest

from qa.reading.siblings import sibling_named, sibling_title


@pytest.mark.parametrize(
    ("question", "sentence", "sibling"),
    [
        ("216路的首班车几点发车？", "215路首班车发车时间为6:00。", "215路"),
        ("首届直播带货节在哪里办？", "第二届直播带货节将在电商产业园举办。", "二届"),
        ("第二批算力券什么时候申报？", "首批算力券申报将于12月2日开始。", "一批"),
        ("樨岭站a出口新增了多少车位？", "樨岭站c出口新增停车位260个。", "c出"),
        ("“墨灵一号”的体长是多少？", "“墨灵二号”体长1.2米。", "二号"),
        ("二期标准厂房的入驻率是多少？", "一期厂房入驻率已达93%。", "一期"),
        ("2023年末有多少名女性员工？", "截至2024年末，其中女性员工1956人。", "2024年"),
        ("国内货站的收货截止时间是多久？", "国际货站收货截止时间调整为4小时。", "国际"),
        ("10月7日出城方向的车流量是多少？", "10月7日进城方向车流量达到41.3万辆次。", "进城"),
    ],
)
def test_a_sentence_about_a_sibling_names_it(question: str, sentence: str, sibling: str) -> None:
    assert sibling_named(question, sentence) == sibling


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("215路的首班车几点发车？", "215路首班车发车时间为6:00，216路为6:30。"),
        ("2023年的机械化率是多少？", "机械化率达到78.4%，比2022年提高2.1个百分点。"),
        ("2025年计划的授予价格是多少？", "授予价格为每股14.80元，低于2024年的16.35元。"),
        ("2025年要编制哪个规划？", "启动《智慧农业发展规划（2025—2027年）》编制工作。"),
        ("想咨询5号馆的招展事宜，应该联系谁？", "联系人祁望舒（负责4号至6号馆）。"),
        ("第四实验小学和第一实验小学是什么模式？", "由县第一实验小学校长兼任校长。"),
        ("上一年判了多少人？", "判处五年以上有期徒刑的84人。"),
        ("笔试费每一科收多少钱？", "笔试费按每人每科50元收取，两科合计100元。"),
        ("全县有多少人？", "2024年全县有86万人。"),
    ],
)
def test_a_sentence_naming_what_the_question_names_or_no_sibling_names_none(question: str, sentence: str) -> None:
    assert sibling_named(question, sentence) is None


@pytest.mark.parametrize(
    ("question", "sentence", "title"),
    [
        ("公司的董事长是谁？", "公司总经理为林启航。", "总经理"),
        ("分行的行长是谁？", "分行副行长许青禾主持会议。", "副行长"),
        ("公司的董事长是谁？", "董事长兼总经理林启航。", None),
        ("项目组长是谁？", "项目由研究院负责实施。", None),
        ("Who is the discipline leader of the lab?", "实验室主任为顾衡。", None),
    ],
)
def test_a_sentence_naming_another_title_than_the_question_asks_names_it(question: str, sentence: str, title: str | None) -> None:
    assert sibling_title(question, sentence) == title
