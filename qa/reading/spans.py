"""Typed candidate spans inside a sentence: numbers with units, dates and times, names, places,
organizations, quoted titles and lists, from patterns and jieba's part-of-speech tags.

Every function returns (start, end) offsets into the text it was given; no rule names a word of
any particular document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import jieba
import jieba.posseg

from qa.reading.question import AnswerType

_NUMBER = r"\d+(?:[.,]\d+)*"
_MULTIPLIER = r"(?:[十百千万亿]+)?"
_UNIT = (
    r"(?:公里/小时|千米/小时|米/秒|万标箱|标箱|万吨级|吨级|万吨|吨|千克|公斤|克|亿美元|万美元|美元|亿元|万元|元|"
    r"平方公里|平方米|公里|千米|米|厘米|毫米|亩|公顷|个月|个|家|人次|名|人|场|项|件|所|座|辆|台|条|次|批|户|位|层|"
    r"岁|年|月|天|日|小时|分钟|秒|倍|成|级|℃|度|%|％|‰|届|期|篇|部|本|棵|只|头|套|种|类|处|栋|间|床|张|份|笔)"
)
_AMOUNT = rf"{_NUMBER}\s?{_MULTIPLIER}(?:余|多|近|约)?\s?{_UNIT}?"
# Hedges before a number (约, 超过 …) stay outside the span: the shortest span that answers is the amount.
NUMBER_PATTERN = re.compile(rf"{_AMOUNT}(?:\s?(?:到|至|~|～|-|—)\s?{_AMOUNT})?(?:左右|以上|以下)?")

_DAY_WORD = r"(?:今天|昨天|明天|前天|后天|今日|昨日|明日|当天|今晚|昨晚|明晚|今年|去年|明年|前年|近日|日前|上周|本周|下周|本月|上月|下月)"
_PART_OF_DAY = r"(?:凌晨|早晨|早上|上午|中午|下午|傍晚|晚上|夜里|夜间|晚)"
_CLOCK = r"(?:\d{1,2}\s?[时点](?:\d{1,2}\s?分)?(?:许|左右)?)"
_CALENDAR = (
    r"(?:\d{4}\s?年(?:度|\s?(?:上|下)半年|\s?\d{1,2}\s?月(?:\s?\d{1,2}\s?[日号])?)?"
    r"|\d{1,2}\s?月\s?\d{1,2}\s?[日号]|\d{1,2}\s?月(?:份|底|初|中旬|上旬|下旬)?)"
)
DATE_PATTERN = re.compile(rf"(?:{_CALENDAR}|{_DAY_WORD})(?:\s?{_PART_OF_DAY})?(?:\s?{_CLOCK})?|{_PART_OF_DAY}\s?{_CLOCK}")
# What any number or date holds: a digit, a Chinese numeral, or an English number word.
_NUMERAL = re.compile(
    r"[0-9０-９〇零一二两三四五六七八九十百千万亿]"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion)\b",
    re.IGNORECASE,
)
# A time without a numeral: a dynasty, era, season or relative day.
_TIME_WORD = re.compile(
    r"[年月日号时朝代纪季期旬春夏秋冬今昨明早晚午]"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|spring|summer|autumn|winter|today|yesterday|tomorrow|century|dynasty)\b",
    re.IGNORECASE,
)
TITLE_PATTERN = re.compile(r"《[^《》]{1,60}》")
QUOTED_PATTERN = re.compile(r"“[^“”]{1,30}”|‘[^‘’]{1,30}’|「[^「」]{1,30}」")
LIST_PATTERN = re.compile(r"[^，。；：:、,（）()]{1,24}(?:、[^，。；：:、,（）()]{1,24})+(?:等)?")
_ORGANIZATION_SUFFIX = re.compile(
    r"(?:厅|局|委员会|委|协会|学会|商会|公司|集团|中心|银行|大学|学院|学校|医院|研究院|研究所|政府|办公室|部|院|所|园区|产业园|基地|合作社|俱乐部|联合会|总部)$"
)
_PLACE_SUFFIX = re.compile(r"(?:省|市|县|区|镇|乡|村|街道|社区|路|街|港|港区|湾|岛|山|湖|河|江|国|州)$")
_PERSON_TITLE = re.compile(
    r"(?:委员|书记|市长|县长|镇长|区长|省长|主席|副主席|主任|局长|厅长|部长|记者|教授|院士|专家|董事长|总经理|经理|校长|院长|主持人|代表)$"
)
_NAME_TAGS = frozenset({"nr", "nrt", "nrfg"})
# Characters that do not occur in the 2-3 characters of a Chinese personal name.
_NOT_IN_NAMES = frozenset("一二三四五六七八九十几们的了在和与及等说是有这那其他起将对为从到被把向也都就还又并或让给个")
_PLACE_TAGS = frozenset({"ns"})
_ORGANIZATION_TAGS = frozenset({"nt"})


def _pattern_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.group().strip()]


def tagged_words(text: str) -> list[tuple[int, int, str, str]]:
    """Return (start, end, word, part-of-speech tag) for each jieba word of the text."""
    jieba.setLogLevel(logging.WARNING)
    words, position = [], 0
    for pair in jieba.posseg.lcut(text):
        words.append((position, position + len(pair.word), pair.word, pair.flag))
        position += len(pair.word)
    return words


def _noun_phrases(words: list[tuple[int, int, str, str]], suffix: re.Pattern[str], tags: frozenset[str]) -> list[tuple[int, int]]:
    """Return spans of up to four consecutive nominal words ending in a tagged word or a word with the suffix."""
    spans = []
    for index, (_start, end, word, flag) in enumerate(words):
        bare_suffix = len(word) == 1 and suffix.search(word) and index > 0 and words[index - 1][3].startswith("n")
        if flag in tags or (flag.startswith("n") and suffix.search(word)) or bare_suffix:
            first = index
            while first > 0 and index - first < 3 and words[first - 1][3][:1] in ("n", "j") and words[first - 1][3] != "nr":
                first -= 1
            for begin in range(first, index + 1):
                spans.append((words[begin][0], end))
    return spans


def _person_spans(text: str, words: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """Return the longest of the names tagged by jieba and of the 2-3 characters after a title word (委员, 书记 …).

    After a title the name ends on a jieba word boundary (`书记|仲|旭东|主持` gives 仲旭东, not 仲旭); a
    name inside a longer name (旭东 in 仲旭东) is dropped.
    """
    spans = [
        (start, end)
        for start, end, word, flag in words
        if flag in _NAME_TAGS and 2 <= end - start <= 4 and not any(char in _NOT_IN_NAMES for char in word)
    ]
    for index, (_, title_end, word, _) in enumerate(words):
        if not _PERSON_TITLE.search(word):
            continue
        for _, end, _, _ in words[index + 1 :]:
            name = text[title_end:end]
            if len(name) > 3 or not all("\u4e00" <= char <= "\u9fff" and char not in _NOT_IN_NAMES for char in name):
                break
            if len(name) >= 2:
                spans.append((title_end, end))
    spans += _surname_names(text)
    return _maximal(spans)


# The commonest Chinese surnames, and the words that typically follow a name (`张婷婷与…`, `钟峨说`): jieba
# splits unknown names into pieces, so a surname before such a word marks a name of two or three characters.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤仲倪荣"
)
_AFTER_NAME = re.compile(r"(?:说|表示|介绍|认为|指出|强调|建议|提出|主持|出席|传达|带来|告诉|坦言|称|与|和|等|、|，|。|；)")


def _surname_names(text: str) -> list[tuple[int, int]]:
    """Return 2-3 character names that start with a common surname and end where a post-name word begins."""
    spans = []
    for start, char in enumerate(text):
        if char not in _SURNAMES or (start > 0 and text[start - 1] in _SURNAMES):
            continue
        for length in (3, 2):
            name = text[start : start + length]
            if (
                len(name) == length
                and all("\u4e00" <= c <= "\u9fff" and c not in _NOT_IN_NAMES for c in name)
                and _AFTER_NAME.match(text, start + length)
                and not _AFTER_NAME.match(name[-1])
            ):
                spans.append((start, start + length))
                break
    return spans


_CONJUNCTIONS = frozenset({"和", "及", "与", "以及"})


def _conjoined_spans(words: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """Return `A和B` / `A、B及C` spans: nominal words joined by conjunctions (欧洲和俄罗斯)."""
    spans = []
    index = 0
    while index < len(words):
        end_index = index
        while (
            end_index + 2 < len(words)
            and words[end_index][3][:1] in ("n", "j")
            and words[end_index + 1][2] in _CONJUNCTIONS
            and words[end_index + 2][3][:1] in ("n", "j")
        ):
            end_index += 2
        if end_index > index:
            spans.append((words[index][0], words[end_index][1]))
        index = end_index + 1
    return spans


def has_expected_kind(answer_type: AnswerType, text: str) -> bool:
    """Return False when the question asks for a number and the text holds no numeral, or for a date and it holds
    neither a numeral nor a time word (`外轮` for `多大的船`); True otherwise, including for every other kind."""
    if answer_type is AnswerType.NUMBER:
        return bool(_NUMERAL.search(text))
    if answer_type is AnswerType.DATE:
        return bool(_NUMERAL.search(text) or _TIME_WORD.search(text))
    return True


Tagger = Callable[[str], list[tuple[int, int, str, str]]]


def typed_spans(text: str, answer_type: AnswerType, tag: Tagger = tagged_words) -> list[tuple[int, int]]:
    """Return the candidate spans of the given type in a sentence, without duplicates, in text order.

    tag is the part-of-speech tagger (tagged_words, or a memoized copy of it)."""
    if answer_type is AnswerType.NUMBER:
        spans = _pattern_spans(NUMBER_PATTERN, text)
    elif answer_type is AnswerType.DATE:
        spans = _pattern_spans(DATE_PATTERN, text)
    elif answer_type is AnswerType.TITLE:
        spans = _pattern_spans(TITLE_PATTERN, text)
    elif answer_type is AnswerType.LIST:
        spans = _pattern_spans(LIST_PATTERN, text) + _pattern_spans(TITLE_PATTERN, text) + _conjoined_spans(tag(text))
    elif answer_type is AnswerType.PERSON:
        spans = _person_spans(text, tag(text))
    elif answer_type is AnswerType.PLACE:
        words = tag(text)
        spans = _merge_adjacent(_noun_phrases(words, _PLACE_SUFFIX, _PLACE_TAGS)) + _conjoined_spans(words)
    elif answer_type is AnswerType.ORGANIZATION:
        spans = _maximal(_noun_phrases(tag(text), _ORGANIZATION_SUFFIX, _ORGANIZATION_TAGS))
    else:
        spans = []
    trimmed = {trim_span(text, start, end) for start, end in spans}
    return sorted(span for span in trimmed if span[1] > span[0])


def _maximal(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the spans not inside another one (浙江省商务厅, not 商务厅)."""
    return [span for span in set(spans) if not any(other != span and other[0] <= span[0] and span[1] <= other[1] for other in spans)]


def _merge_adjacent(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return maximal spans: touching or overlapping spans become one (a town followed by its village)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


_TRAILING_WORDS = re.compile(r"(?:这一|这个|这些|在|的|了)$")


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span without surrounding punctuation and without a trailing function word (这一, 在, 的 …)."""
    while start < end and text[start] in " ，,、；;：:":
        start += 1
    while end > start and text[end - 1] in " ，,、；;：:":
        end -= 1
    if (tail := _TRAILING_WORDS.search(text[start:end])) and end - start > len(tail.group()) + 1:
        end -= len(tail.group())
    return start, end


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Return the spans of quoted terms (“创新攻坚”) and titles (《…》), marks included."""
    return sorted(_pattern_spans(QUOTED_PATTERN, text) + _pattern_spans(TITLE_PATTERN, text))


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Return the clauses of a sentence (cut at commas, semicolons and colons) and the whole sentence."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^，,；;：:]+", text)]
    spans = [trim_span(text, start, end) for start, end in spans]
    return sorted({span for span in spans if span[1] > span[0]} | {trim_span(text, 0, len(text))})
