"""Range ends: a date question asking for the start or the end of a period gets that end of a range."""

import pytest

from qa.reading.range_ends import range_end


def ends(span: str, question: str) -> str | None:
    found = range_end(span, 0, len(span), question)
    return span[found[0] : found[1]] if found else None


@pytest.mark.parametrize(
    ("span", "question", "end"),
    [
        ("2025年4月1日至11月30日", "今年补贴申请从哪一天开始受理？", "2025年4月1日"),
        ("7月6日9:00至7月9日17:00", "网上填报志愿截止到什么时候？", "7月9日17:00"),
        ("5月20日—6月30日", "半幅封闭将持续到哪一天？", "6月30日"),
        ("2024年11月12日（星期二）22:00至11月13日（星期三）6:00", "第一项工程计划什么时候结束？", "11月13日（星期三）6:00"),
        ("10月15日10时至10月24日18时", "when does registration for the race close?", "10月24日18时"),
        ("5月11日9:00~5月16日8:00", "from what time can candidates print their tickets?", "5月11日9:00"),
        ("2025年4月1日至11月30日", "补贴申请的受理期是哪段时间？", None),
        ("2025年4月1日至11月30日", "受理期从哪天开始，到哪天结束？", None),
        ("10至15分钟", "what time does the starting gun fire?", None),
        ("11月4日揭幕，持续至12月31日", "观鸟节从哪天开始？", None),
        ("8:30至12:00、14:30至17:30", "几点开始受理？", None),
        ("《数字化运营三年行动方案（2024—2026年）》", "方案从哪年开始实施？", None),
        ("2025年4月1日", "补贴申请从哪一天开始受理？", None),
    ],
)
def test_a_question_about_one_end_of_a_period_gets_that_end(span: str, question: str, end: str | None) -> None:
    assert ends(span, question) == end


def test_the_end_is_given_as_characters_of_the_text() -> None:
    text = "受理时间为2025年4月1日至11月30日。"
    start = text.index("2025")
    assert range_end(text, start, start + len("2025年4月1日至11月30日"), "截止到哪一天？") == (start + 10, start + 16)
