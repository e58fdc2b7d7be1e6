"""Answer boundary repairs on passage characters (qa.reading.boundaries): exact spans on hand-checked text."""

from __future__ import annotations

from qa.reading.boundaries import closed, repaired, whole_number, without_hanging_preposition


def span_of(text: str, answer: str) -> tuple[int, int]:
    start = text.index(answer)
    return start, start + len(answer)


def test_a_number_is_never_cut_and_keeps_its_percent_sign() -> None:
    text = "今年早稻播种6.8万亩，占比29.71%，共12,874件。"
    assert whole_number(text, *span_of(text, "8万亩")) == span_of(text, "6.8万亩")
    assert whole_number(text, *span_of(text, "29.7")) == span_of(text, "29.71%")
    assert whole_number(text, *span_of(text, "2,8")) == span_of(text, "12,874")
    assert whole_number(text, *span_of(text, "万亩")) == span_of(text, "万亩")  # no digit at its edge
    assert whole_number(text, *span_of(text, "占比")) == span_of(text, "占比")


def test_a_decimal_mark_belongs_to_a_number_only_between_digits() -> None:
    text = "共3项.另有5项"
    assert whole_number(text, *span_of(text, "3")) == span_of(text, "3")


def test_an_opened_bracket_or_quote_is_closed_when_its_closer_is_near() -> None:
    text = "限值为2.0W/(m²·K)。发布《关于2025年度日常关联交易预计的议案》全文。"
    assert closed(text, *span_of(text, "2.0W/(m²·K")) == span_of(text, "2.0W/(m²·K)")
    assert closed(text, *span_of(text, "《关于2025年度")) == span_of(text, "《关于2025年度日常关联交易预计的议案》")  # 11 on
    far = "见《甲乙丙丁戊己庚辛壬癸子丑寅卯》"
    assert closed(far, *span_of(far, "《甲")) == span_of(far, "《甲")  # its closer is 13 characters on
    assert closed(text, *span_of(text, "2.0W")) == span_of(text, "2.0W")


def test_a_one_character_preposition_at_either_end_is_dropped() -> None:
    text = "会议于2025年4月21日在公司召开，激励对象为核心技术人员。"
    assert without_hanging_preposition(text, *span_of(text, "2025年4月21日在")) == span_of(text, "2025年4月21日")
    assert without_hanging_preposition(text, *span_of(text, "为核心技术人员")) == span_of(text, "核心技术人员")
    assert without_hanging_preposition(text, *span_of(text, "在")) == span_of(text, "在")  # a single word stays


def test_repairs_compose_and_leave_a_good_span_alone() -> None:
    text = "扩建后占比为12.5%，在园区内。"
    assert repaired(text, *span_of(text, "为12.5")) == span_of(text, "12.5%")
    assert repaired(text, *span_of(text, "12.5%")) == span_of(text, "12.5%")
    assert repaired(text, 3, 3) == (3, 3)
