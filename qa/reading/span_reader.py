"""The rule-based extractive reader: the shortest typed span near the question's words.

For each sentence of the retrieved passages it measures how much of the question the sentence
covers (character pairs and words of the question's content, traditional/full-width folded), then
proposes spans: the text that fills the question word's slot (`会议由谁主持` against
`会议由市政协副主席许静主持` gives `市政协副主席许静`), typed spans of the expected answer type
(numbers with units, dates, names, places, organizations, 《titles》, lists), and, for why/how/what
questions, the sentence's clauses. A span scores by the sentence's coverage, its closeness to the
matched question words, whether it fills the slot, and the passage's retrieval rank; a span made
of the question's own words is never an answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answers import Candidate, cite
from qa.crosslingual import EnglishToChinese, pinyin_matches, text_syllables
from qa.folding import TextNormalizer
from qa.reading.base import sentence_spans
from qa.reading.question import AnswerType, Question, analyze
from qa.reading.spans import Tagger, clause_spans, quoted_spans, tagged_words, trim_span, typed_spans
from qa.records import RetrievedPassage

_WH = re.compile(r"什么时候|什么时间|什么地方|什么样的?|多少|哪里|哪儿|哪些|哪个|哪位|哪家|哪一|谁|什么|几|多长|多大|多久|多高|多远")
_CONTEXT_CHARS = 6
_ATTRIBUTION = re.compile(r"[^，,。；;“”]{1,10}(?:说|表示|介绍|指出|认为)[。！!]?")
_WINDOW_CHARS = 12
_SLOT_MAX_CHARS = 40
_STRICT = frozenset({AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON})
_TYPED = frozenset(
    {AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION, AnswerType.TITLE, AnswerType.LIST}
)


@dataclass(frozen=True)
class _Unit:
    """Something of the question to find in a sentence: its weight, and the strings that count as finding it (with
    how much each counts)."""

    weight: float
    forms: tuple[tuple[str, float], ...]

    def strength(self, text: str) -> float:
        """Return how strongly the text holds this unit: the best of its forms found there, 0 when none is."""
        return max((strength for form, strength in self.forms if form in text), default=0.0)


# An English word weighs as much as a Chinese character pair.
_ENGLISH_WORD_WEIGHT = 2.0


@dataclass(frozen=True)
class _Scored:
    score: float
    passage_rank: int
    start: int
    end: int
    sentence: tuple[int, int]
    passage: RetrievedPassage


# The measure a number question asks about, and the units that can express it; the measure word
# closest before the question word decides (`总产值可比增长多少` asks for a growth rate).
_MEASURES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"速度|时速|车速|风速|speed"), re.compile(r"/")),
    (
        re.compile(r"增速|增长|增幅|下降|降幅|比例|比重|占比|百分|贡献率|[^效]率|growth|rate\b|percent|share|proportion"),
        re.compile(r"[%％‰]|成|倍"),
    ),
    (re.compile(r"气温|温度|temperature"), re.compile(r"℃|度")),
    (
        re.compile(
            r"投资|产值|金额|收入|零售额|增加值|资金|营收|钱|价格|费用|成本|销售额|税收|利润|gdp|investment|value|revenue|income|cost|price|sales|money|yuan"
        ),
        re.compile(r"元"),
    ),
    (re.compile(r"面积|占地|\barea\b"), re.compile(r"亩|平方|公顷")),
    (re.compile(r"多长时间|多久|工期|周期|期限|how long did|how long will|duration|period"), re.compile(r"年|月|天|日|小时|分钟|周")),
    (re.compile(r"长度|多长|距离|岸线|里程|全长|长约|length|distance|how long|how far"), re.compile(r"公里|千米|米")),
    (re.compile(r"人口|人数|人次|population|people"), re.compile(r"人|万$")),
    (re.compile(r"集装箱|container"), re.compile(r"标箱|箱|teu")),
    (re.compile(r"吞吐|通过能力|产量|运量|货物|装卸|throughput|capacity|cargo|freight|tonnage"), re.compile(r"吨(?!级)|标箱|箱")),
)
_COUNTERS = "个家名位场项次年月天人元只件条座辆台种"
_COUNTER = re.compile(r"(?:多少|几)(人次|个|家|名|位|场|项|次|年|月|天|人|岁|倍|层|座|条|辆|台|件|种|亩|吨|元|户|所|批|届|级)")
_UNIT_AT_END = re.compile(r"[^\d\s.,]$")


def _unit_fit(question: Question, span: str) -> float:
    """Return 1.0 for a number whose unit fits the measure asked about, less for a misfit or a bare number.

    The counter after the question word (`多少家`, `几场`) names the unit outright; otherwise the measure
    word closest before the question word does (`设计速度是多少` wants a unit per hour)."""
    counter = _COUNTER.search(question.folded)
    if counter:
        return 1.0 if counter.group(1) in span else 0.7
    if re.search(r"how many", question.folded):
        # a count, in whatever counter the text uses (16个, 56家), not a year or a date
        return 1.0 if span[-1:] in _COUNTERS and span[-1:] not in "年月天" else 0.7
    wh = _WH.search(question.folded) if question.is_chinese else None
    # English names the measure after its question word (`what is the throughput capacity`)
    before = question.folded[: wh.start()] if wh else question.folded
    best, units = -1, None
    for measure, unit_pattern in _MEASURES:
        for found in measure.finditer(before):
            if found.end() > best:
                best, units = found.end(), unit_pattern
    if units is not None:
        return 1.0 if units.search(span) else 0.7
    return 1.0 if _UNIT_AT_END.search(span) else 0.7


# What the noun after 哪个/哪家/什么 asks for, as the last characters a fitting name ends with.
_HEADS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"部门|单位|机构|机关"), "厅局委办部处署会院所府"),
    (re.compile(r"园区|开发区"), "园区"),
    (re.compile(r"协会|商会|学会|联合会"), "会"),
    (re.compile(r"公司|企业|集团|厂商|厂家"), "司团业厂行店"),
    (re.compile(r"学校|大学|高校"), "校学院"),
    (re.compile(r"医院"), "院"),
    (re.compile(r"国家"), "国"),
    (re.compile(r"城市"), "市"),
    (re.compile(r"省份"), "省"),
)
_HEAD_NOUN = re.compile(r"(?:哪个|哪家|哪一|哪些|什么)([\u4e00-\u9fff]{2,4})")


def _head_fit(question: Question, span: str) -> float:
    """Return 1.0 when a name ends the way the asked-for noun does (哪个协会 ~ …协会), 0.6 when it does not."""
    head = _HEAD_NOUN.search(question.folded)
    if head is None or question.answer_type not in (AnswerType.ORGANIZATION, AnswerType.PLACE):
        return 1.0
    for noun, endings in _HEADS:
        if noun.match(head.group(1)):
            return 1.0 if span.rstrip("”’》)）")[-1:] in endings else 0.6
    return 1.0


def _wh_context(question: Question) -> tuple[str, str]:
    """Return the question's words just before and just after its question word (punctuation removed)."""
    match = _WH.search(question.folded)
    if match is None:
        return "", ""
    left = re.sub(r"[\s，,。？?！!、]", "", question.folded[: match.start()])[-_CONTEXT_CHARS:]
    right = re.sub(r"[\s，,。？?！!、]", "", question.folded[match.end() :])[:_CONTEXT_CHARS]
    return left, right


def _predicate_support(question: Question, sentence: str) -> float:
    """Return 1.0 when the sentence holds one of the words next to the question word, else 0.75.

    A sentence about another subject or event often covers much of the question yet lacks exactly
    these words; this keeps its spans from reaching the abstention threshold."""
    left, right = _wh_context(question)
    near = [part for part in (left.rstrip("了过是的")[-2:], right.lstrip(_COUNTERS)[:2]) if len(part) == 2]
    if not near or not question.is_chinese:
        return 1.0
    return 1.0 if any(part in sentence for part in near) else 0.75


def _codes(question: Question) -> list[str]:
    """Return the question's codes and numbers (`a3`, `302`): a passage lacking one is about something else."""
    return [
        token
        for token in re.findall(r"[a-z0-9]+", question.folded)
        if re.search(r"\d", token) and (question.is_chinese or re.search(r"[a-z]", token))
    ]


def _neighbourhood(sentence: str, start: int, end: int) -> str:
    """Return the rest of the clause around a span, or the text just outside it when the span is the clause."""
    clause_start = max(sentence.rfind(mark, 0, start) for mark in _CLAUSE_MARKS) + 1
    ends = [position for mark in _CLAUSE_MARKS if (position := sentence.find(mark, end)) >= 0]
    clause_end = min(ends) if ends else len(sentence)
    if start <= clause_start + 1 and end >= clause_end - 1:
        return sentence[max(0, start - _WINDOW_CHARS) : start] + " " + sentence[end : end + _WINDOW_CHARS]
    return sentence[clause_start:start] + " " + sentence[end:clause_end]


_CLAUSE_MARKS = "，,；;：:。！？!?"


def _english_anchors(matched: Sequence[tuple[_Unit, float]], sentence: str) -> list[tuple[int, int]]:
    """Return where the sentence holds a word of two or more characters that translates an English question word."""
    return [
        (position, position + len(form))
        for unit, _ in matched
        for form, strength in unit.forms
        if strength == 1.0 and len(form) > 1
        for position in _find_all(sentence, form)
    ]


_MIN_ECHO_CHARS = 3


def _without_echo(sentence: str, start: int, end: int, question: str) -> tuple[int, int]:
    """Return a list span without the question's own words at either end (`王建坤、…、唐华荣出席会议并在主席台就座`
    asked `哪些市政协领导出席会议并在主席台就座` keeps only the names)."""
    for size in range(end - start - 1, _MIN_ECHO_CHARS - 1, -1):
        if sentence[end - size : end] in question:
            end -= size
            break
    for size in range(end - start - 1, _MIN_ECHO_CHARS - 1, -1):
        if sentence[start : start + size] in question:
            start += size
            break
    return start, end


def _find_all(text: str, part: str) -> list[int]:
    """Return every offset where part occurs in text."""
    return [match.start() for match in re.finditer(re.escape(part), text)]


def _starts_with_noun(text: str, tag: Tagger) -> bool:
    """Return True when the tagger tags the first word of the text as a noun (the question word modifies it: 什么慰问工作)."""
    words = tag(text) if text else []
    if not words:
        return False
    return words[0][3][:1] in ("n", "j") or (len(words) > 1 and words[0][3] == "v" and words[1][3] == "vn")


_PAIRS = (("《", "》"), ("“", "”"), ("(", ")"), ("（", "）"), ("‘", "’"))


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span extended to the closing mark of any bracket or quote it opens but does not close."""
    for opening, closing in _PAIRS:
        if text.count(opening, start, end) > text.count(closing, start, end):
            position = text.find(closing, end)
            if 0 <= position - end <= _SLOT_MAX_CHARS:
                end = position + 1
    return start, end


class SpanReader:
    """Typed, slot-filling span extraction; scores in [0, 1]."""

    def __init__(self, max_candidates: int = 4) -> None:
        self._normalize = TextNormalizer()
        self._max_candidates = max_candidates
        # Passages come back question after question; tagging a sentence once saves most of the reading time.
        self._tag = functools.lru_cache(maxsize=8192)(tagged_words)
        self._dictionary = EnglishToChinese()

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return candidate spans for the question, best first (at most max_candidates, distinct texts)."""
        parsed = analyze(question, self._normalize)
        units = self._units(parsed) if parsed.is_chinese else self._english_units(parsed, passages)
        total = sum(unit.weight for unit in units)
        if not total:
            return []
        parsed_codes = _codes(parsed)
        scored: list[_Scored] = []
        for retrieved in passages:
            text = retrieved.passage.text
            folded = self._fold(text)
            missing_codes = sum(1 for code in parsed_codes if code not in folded)
            sentences = sentence_spans(text)
            for index, (sentence_start, sentence_end) in enumerate(sentences):
                sentence = folded[sentence_start:sentence_end]
                # a quotation's speaker often follows it in a sentence of its own (“…”张婷婷说。)
                speaker = folded[slice(*sentences[index + 1])] if index + 1 < len(sentences) else ""
                said = sentence + speaker if _ATTRIBUTION.fullmatch(speaker) else sentence
                matched = [(unit, strength) for unit in units if (strength := unit.strength(said))]
                coverage = sum(unit.weight * strength for unit, strength in matched) / total
                if coverage == 0:
                    continue
                support = _predicate_support(parsed, sentence)
                anchors = () if parsed.is_chinese else _english_anchors(matched, sentence)
                for start, end, slot, fallback in self._spans(parsed, sentence, anchors):
                    span_folded = sentence[start:end]
                    if not span_folded.strip() or self._echoes_question(span_folded, parsed):
                        continue
                    around = _neighbourhood(sentence, start, end)
                    local = sum(unit.weight * unit.strength(around) for unit, _ in matched) / total
                    # Chinese writes a sentence's subject clauses before its answer clause; only a question in the
                    # documents' own language can be matched clause by clause
                    evidence = 0.5 * coverage + 0.5 * local if parsed.is_chinese else coverage
                    fit = _unit_fit(parsed, span_folded) if parsed.answer_type is AnswerType.NUMBER else _head_fit(parsed, span_folded)
                    score = (
                        evidence
                        * (0.75 + 0.25 * slot)
                        * (0.6 if fallback else 1.0)
                        * fit
                        * support
                        * (0.5**missing_codes)
                        * (1.0 - 0.03 * (retrieved.rank - 1))
                    )
                    scored.append(
                        _Scored(
                            score, retrieved.rank, sentence_start + start, sentence_start + end, (sentence_start, sentence_end), retrieved
                        )
                    )
        # among equally good spans the shortest answers, except when the question asks for several (哪些)
        plural = -1 if parsed.answer_type is AnswerType.LIST or "哪些" in parsed.folded else 1
        scored.sort(key=lambda item: (-item.score, item.passage_rank, plural * (item.end - item.start)))
        candidates, seen = [], set()
        for item in scored:
            passage = item.passage.passage
            span_text = passage.text[item.start : item.end]
            if span_text in seen:
                continue
            seen.add(span_text)
            candidates.append(
                Candidate(span_text, round(min(max(item.score, 0.0), 1.0), 4), cite(passage, item.start, item.end, *item.sentence))
            )
            if len(candidates) == self._max_candidates:
                break
        return candidates

    def _fold(self, text: str) -> str:
        """Return the text folded character by character, so offsets stay those of the original."""
        folded = self._normalize(text)
        if len(folded) == len(text):
            return folded
        return "".join(piece if len(piece := self._normalize(char)) == 1 else char.lower() for char in text)

    def _units(self, question: Question) -> list[_Unit]:
        """Return what to look for in a Chinese question: its content as characters and character pairs (Latin: words)."""
        units: set[str] = set()
        for piece in question.content:
            if re.fullmatch(r"[a-z0-9.\-']+", piece):
                units.add(piece)
                continue
            units.update(piece[i : i + 2] for i in range(len(piece) - 1))
            units.update(char for char in piece if not re.match(r"[的了是在和与及并或等也都就把被让从对为以之其这那有个]", char))
        return [_Unit(len(unit), ((unit, 1.0),)) for unit in sorted(units)]

    def _english_units(self, question: Question, passages: Sequence[RetrievedPassage]) -> list[_Unit]:
        """Return what to look for in Chinese passages for a question in English: each content word as itself (codes,
        Latin names), its dictionary translations (a single character counts half) and the passages' characters
        whose pinyin spells it (place and person names)."""
        texts = "\n".join(retrieved.passage.text for retrieved in passages)
        syllables = text_syllables(texts)
        units = []
        for word in question.content:
            forms = {word: 1.0}
            for chinese in self._dictionary.translations(word):
                forms.setdefault(chinese, 1.0 if len(chinese) > 1 else 0.5)
            for chinese in pinyin_matches(word, texts, syllables):
                forms[chinese] = 1.0
            units.append(_Unit(_ENGLISH_WORD_WEIGHT, tuple(forms.items())))
        return units

    def _spans(self, question: Question, folded: str, anchors: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, float, bool]]:
        """Return (start, end, slot, fallback) spans of one sentence: slot is 1 for a span that fills the
        question word's place (for an English question: that touches a translated question word, one of the
        anchors' (start, end)); fallback marks a clause offered for a typed question that found no typed span.
        The sentence is the folded one (simplified script, same length as the original), so jieba tags
        traditional-script text with its simplified dictionary."""
        slots, slot_starts, slot_ends = self._slot_spans(question, folded)
        slot_starts += [end for _, end in anchors]
        slot_ends += [start for start, _ in anchors]
        typed = question.answer_type in _TYPED
        found = typed_spans(folded, question.answer_type, self._tag) if typed else []
        if question.answer_type in _STRICT:
            # what fills the slot of 多少 (什么时候, 谁) is the number (date, name) inside it, not the whole slot
            slot_starts += [a for start, end in slots for a, b in found if start <= a and b <= end]
            slots = []
        spans = [(*trim_span(folded, start, end), 1.0, False) for start, end in slots]

        def fills_slot(start: int, end: int) -> float:
            return (
                1.0 if any(0 <= start - after <= 2 for after in slot_starts) or any(0 <= before - end <= 1 for before in slot_ends) else 0.0
            )

        if typed:
            if question.answer_type is AnswerType.LIST:
                found += [(after, end) for start, end in found for after in slot_starts if start < after < end - 1]
                found = [_without_echo(folded, start, end, question.folded) for start, end in found]
            spans += [(start, end, fills_slot(start, end), False) for start, end in found]
        elif not slots:
            spans += [(start, end, 1.0, False) for start, end in quoted_spans(folded) if fills_slot(start, end)]
        if not typed or not spans:
            clauses = clause_spans(folded)
            if not typed:
                # the part of a clause the question does not already say (傍晚到夜里阴有小雨 -> 阴有小雨)
                clauses += [
                    trim_span(folded, start, end - 1 if folded[end - 1] in "。！？!?" else end)
                    for start, end in (_without_echo(folded, start, end, question.folded) for start, end in clauses)
                    if (start, end) not in clauses
                ]
            spans += [(start, end, 0.0, typed) for start, end in clauses]
        return spans

    def _slot_spans(self, question: Question, sentence: str) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Return the spans between the question word's left and right neighbours found in the sentence,
        the offsets where a slot starts (just after the left neighbour) and where one ends (the right
        neighbour), for typed spans to fill."""
        match = _WH.search(question.folded)
        if match is None or not question.is_chinese:
            return [], [], []
        left, right = _wh_context(question)
        spans: list[tuple[int, int]] = []
        starts: list[int] = []
        ends = [position for size in range(len(right), 1, -1) for position in _find_all(sentence, right[:size])][:8]
        noun_follows = match.group() in ("什么", "多少", "几", "哪个", "哪些", "哪家", "哪一") and _starts_with_noun(right, self._tag)
        if noun_follows:
            # the noun asked about (哪些地区为主要方向) is seldom written next to the answer (以欧洲和俄罗斯为主要方向)
            rest = right[len(self._tag(right)[0][2]) :]
            ends += [position for size in range(len(rest), 1, -1) for position in _find_all(sentence, rest[:size])][:8]
        # the words just before the question word; failing those, the same without 了/是/的, or with the last
        # character written differently (缩减到多少 ~ 缩减至13个月)
        bare_left = left.rstrip("了过是的")
        parts = ((left, 0), (bare_left, 0), (bare_left[:-1], 1))
        anchors = [(sentence.find(part[-size:]), size + skip) for part, skip in parts for size in range(len(part), 1, -1)]
        for anchor, size in anchors:
            if anchor < 0:
                continue
            slot_start = anchor + size
            starts.append(slot_start)
            end_limit = min(len(sentence), slot_start + _SLOT_MAX_CHARS)
            if not right:
                clause_end = min([p for mark in _CLAUSE_MARKS if (p := sentence.find(mark, slot_start)) >= 0] or [len(sentence)])
                if 0 < clause_end - slot_start <= _SLOT_MAX_CHARS:
                    spans.append((slot_start, clause_end))
            for right_size in range(len(right), 1, -1):
                position = sentence.find(right[:right_size], slot_start, end_limit + right_size)
                if position > slot_start:
                    spans.append(_balanced(sentence, slot_start, position + right_size if noun_follows else position))
                    break
            break
        # "多少个万吨级泊位" is often written "万吨级 17个": the counted noun just before the number.
        noun = right.lstrip(_COUNTERS)
        for size in range(len(noun), 1, -1):
            position = sentence.find(noun[:size])
            if position >= 0:
                starts.append(position + size)
                break
        return spans, starts, ends

    @staticmethod
    def _echoes_question(span: str, question: Question) -> bool:
        """Return True when the span is made mostly of the question's own words (a name: entirely)."""
        letters = re.sub(r"[\s，,。、“”‘’《》（）()]", "", span)
        if not letters:
            return True
        inside = sum(1 for char in letters if char in question.folded)
        if question.answer_type in (AnswerType.ORGANIZATION, AnswerType.PLACE):
            return inside == len(letters) or letters in question.folded
        return inside / len(letters) > 0.7
