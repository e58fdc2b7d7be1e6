from qa.reading.edges import trimmed_edges
from qa.reading.question import AnswerType


def test_a_date_loses_the_time_word_after_it() -> None:
    assert trimmed_edges("2023年7月1日起", AnswerType.DATE) == (0, 9)
    assert trimmed_edges("6:40前", AnswerType.DATE) == (0, 4)
    assert trimmed_edges("2025年4月21日在", AnswerType.DATE) == (0, 10)
    assert trimmed_edges("2024年3月以来", AnswerType.DATE) == (0, 7)


def test_a_date_without_a_time_word_or_a_word_ending_in_one_stays() -> None:
    assert trimmed_edges("2023年7月1日", AnswerType.DATE) is None
    assert trimmed_edges("开工前", AnswerType.DATE) is None
    assert trimmed_edges("起", AnswerType.DATE) is None
    assert trimmed_edges("2023年7月1日起", AnswerType.NUMBER) is None


def test_a_reason_loses_the_cause_word_before_it() -> None:
    assert trimmed_edges("因消防审批延后", AnswerType.REASON) == (1, 7)
    assert trimmed_edges("主要原因是公司拟投资建设扩产项目", AnswerType.REASON) == (5, 16)
    assert trimmed_edges("由于设备交付延后", AnswerType.REASON) == (2, 8)


def test_a_reason_without_a_cause_word_or_made_of_one_stays() -> None:
    assert trimmed_edges("设备交付延后", AnswerType.REASON) is None
    assert trimmed_edges("因为", AnswerType.REASON) is None
    assert trimmed_edges("因消防审批延后", AnswerType.OTHER) is None
