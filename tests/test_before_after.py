from qa.answers import Candidate, cite
from qa.folding import TextNormalizer
from qa.ingest.pipeline import text_passages
from qa.reading.before_after import asks_before, before_value_first, change_sides, side_asked, written_before
from qa.reading.question import AnswerType

FOLD = TextNormalizer()


def test_questions_about_before() -> None:
    for question in (
        "留观床位在增加之前有多少张？",
        "上年的普通高中录取率是多少？",
        "调价前收多少钱？",
        "原来是多少？",
        "What was it before its expansion?",
    ):
        assert asks_before(FOLD(question)), question


def test_deadlines_ranks_and_now_are_not_before() -> None:
    for question in (
        "2026年12月15日前要完成什么？",
        "目前有多少人？",
        "排名前10的企业有哪些？",
        "今年前三季度产值多少？",
        "What must be filed before June 30?",
    ):
        assert not asks_before(FOLD(question)), question


def test_change_sides_drop_a_leading_from() -> None:
    assert change_sides("由210张增至340张") == ((1, 5), (7, 11))
    assert change_sides("210张") is None
    assert change_sides("46间增至73间，留观床位由210张增至340张") is None
    assert change_sides("增至340张") is None


def test_side_asked_before_or_after() -> None:
    assert side_asked("210张增至340张", before=True, number_or_date=True) == (0, 4)
    assert side_asked("210张增至340张", before=False, number_or_date=True) == (6, 10)
    assert side_asked("由选修课调整为必修课", before=False, number_or_date=False) is None
    assert side_asked("由选修课调整为必修课", before=False, number_or_date=True) is None
    assert side_asked("由选修课调整为必修课", before=True, number_or_date=False) == (1, 4)


def test_written_before_reads_the_clause_before_a_value() -> None:
    text = "全市普通高中录取率为64.3%，比上年的61.8%提高2.5个百分点。首班车由6:30提前至6:00。"
    last_year, this_year = text.index("61.8%"), text.index("64.3%")
    assert written_before(text, last_year, last_year + 5)
    assert not written_before(text, this_year, this_year + 5)
    old, new = text.index("6:30"), text.index("6:00")
    assert written_before(text, old, old + 4)
    assert not written_before(text, new, new + 4)


def candidate(text: str, passage: str, score: float) -> Candidate:
    """Return a candidate citing the first occurrence of `text` in the one-paragraph document `passage`."""
    (whole,) = text_passages(passage, "p.txt")
    start = passage.index(text)
    return Candidate(text, score, cite(whole, start, start + len(text), 0, len(passage)))


def texts_of(passage: str) -> dict[str, str]:
    (whole,) = text_passages(passage, "p.txt")
    return {whole.id: whole.text}


def test_a_before_value_of_the_asked_kind_comes_first_with_the_answers_confidence() -> None:
    passage = "全市普通高中录取率为64.3%，比上年的61.8%提高2.5个百分点。"
    this_year, last_year, words = candidate("64.3%", passage, 0.6), candidate("61.8%", passage, 0.3), candidate("上年", passage, 0.5)
    chosen = before_value_first([this_year, words, last_year], texts_of(passage), AnswerType.NUMBER)
    assert [(c.text, c.score) for c in chosen] == [("61.8%", 0.6), ("64.3%", 0.6), ("上年", 0.5)]


def test_candidates_stay_when_the_answer_is_a_before_value_or_none_is() -> None:
    passage = "全市普通高中录取率为64.3%，比上年的61.8%提高2.5个百分点。"
    last_year, this_year = candidate("61.8%", passage, 0.6), candidate("64.3%", passage, 0.3)
    assert before_value_first([last_year, this_year], texts_of(passage), AnswerType.NUMBER) == [last_year, this_year]
    assert before_value_first([this_year], texts_of(passage), AnswerType.NUMBER) == [this_year]
    assert before_value_first([], {}, AnswerType.NUMBER) == []
