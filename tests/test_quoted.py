from qa.reading.quoted import whole_quote

TEXT = "依据《翊江市防汛应急预案（2023年修订）》执行，启动“整村授信·千村万户”工程。他说：“今年雨水匀，品质好。”另见《甲》和《乙》。"


def span(part: str) -> tuple[int, int]:
    start = TEXT.index(part)
    return start, start + len(part)


def test_an_answer_within_a_title_or_name_becomes_the_whole_pair() -> None:
    assert whole_quote(TEXT, *span("翊江市防汛应急预案")) == span("《翊江市防汛应急预案（2023年修订）》")
    assert whole_quote(TEXT, *span("·千村万户")) == span("“整村授信·千村万户”")
    assert whole_quote(TEXT, *span("《翊江市防汛应急预案")) == span("《翊江市防汛应急预案（2023年修订）》")


def test_a_whole_pair_a_quoted_sentence_or_text_between_pairs_stays() -> None:
    assert whole_quote(TEXT, *span("《翊江市防汛应急预案（2023年修订）》")) is None
    assert whole_quote(TEXT, *span("雨水匀")) is None
    assert whole_quote(TEXT, *span("执行")) is None
    assert whole_quote(TEXT, *span("》和《")) is None
