from qa.reading.edges import list_items, trimmed_edges
from qa.reading.question import AnswerType


def test_a_date_loses_the_time_word_after_it() -> None:
    assert trimmed_edges("2023年7月1日起", 0, 10, AnswerType.DATE) == (0, 9)
    assert trimmed_edges("6:40前", 0, 5, AnswerType.DATE) == (0, 4)
    assert trimmed_edges("2025年4月21日在", 0, 11, AnswerType.DATE) == (0, 10)
    assert trimmed_edges("2024年3月以来", 0, 9, AnswerType.DATE) == (0, 7)


def test_a_date_without_a_time_word_or_a_word_ending_in_one_stays() -> None:
    assert trimmed_edges("2023年7月1日", 0, 9, AnswerType.DATE) is None
    assert trimmed_edges("开工前", 0, 3, AnswerType.DATE) is None
    assert trimmed_edges("起", 0, 1, AnswerType.DATE) is None
    assert trimmed_edges("2023年7月1日起", 0, 10, AnswerType.NUMBER) is None


def test_a_reason_loses_the_cause_word_before_it() -> None:
    assert trimmed_edges("因消防审批延后", 0, 7, AnswerType.REASON) == (1, 7)
    assert trimmed_edges("主要原因是公司拟投资建设扩产项目", 0, 16, AnswerType.REASON) == (5, 16)
    assert trimmed_edges("由于设备交付延后", 0, 8, AnswerType.REASON) == (2, 8)


def test_a_reason_without_a_cause_word_or_made_of_one_stays() -> None:
    assert trimmed_edges("设备交付延后", 0, 6, AnswerType.REASON) is None
    assert trimmed_edges("因为", 0, 2, AnswerType.REASON) is None
    assert trimmed_edges("因消防审批延后", 0, 7, AnswerType.OTHER) is None


def test_the_span_is_read_within_its_passage_and_returned_in_its_coordinates() -> None:
    passage = "本办法自2023年7月1日起施行。工期因消防审批延后而顺延。"
    assert trimmed_edges(passage, 4, 14, AnswerType.DATE) == (4, 13)
    assert passage[4:13] == "2023年7月1日"
    assert trimmed_edges(passage, 19, 26, AnswerType.REASON) == (20, 26)
    assert passage[20:26] == "消防审批延后"


def test_a_list_answer_loses_its_summing_up_tail() -> None:
    assert list_items("黄精、三叶青等", 0, 7, AnswerType.LIST) == (0, 6)
    assert list_items("危化品、燃气、道路交通三个重点领域", 0, 17, AnswerType.LIST) == (0, 11)
    assert list_items("电工、焊工4个项目", 0, 9, AnswerType.LIST) == (0, 5)
    assert list_items("歌曲《青梧谣》、小说《潮信》等12件作品", 0, 20, AnswerType.LIST) == (0, 14)
    assert list_items("主要有黄精、三叶青等药材", 3, 12, AnswerType.LIST) == (3, 9)


def test_a_list_answer_without_a_tail_or_a_joiner_before_it_and_other_kinds_stay() -> None:
    assert list_items("一等奖、二等奖", 0, 7, AnswerType.LIST) is None
    assert list_items("甲级、乙等级", 0, 6, AnswerType.LIST) is None
    assert list_items("特级教师2名、市级学科带头人9名", 0, 16, AnswerType.LIST) is None
    assert list_items("手机等", 0, 3, AnswerType.LIST) is None
    assert list_items("黄精、三叶青等", 0, 7, AnswerType.OTHER) is None


def test_a_list_whose_last_item_starts_with_a_count_stays_whole() -> None:
    assert list_items("两个岛式站台和一个侧式站台", 0, 13, AnswerType.LIST) is None
    assert list_items("头骨、尾椎、以及一个部份胫骨", 0, 14, AnswerType.LIST) is None
    assert list_items("改革军制、整顿财政的四大政治主张", 0, 16, AnswerType.LIST) is None
    assert list_items("甲、乙，三个项目", 0, 8, AnswerType.LIST) is None
