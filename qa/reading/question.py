"""Question understanding: the expected answer type from question words, and the content words to look for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.crosslingual import english_content_words
from qa.folding import TextNormalizer


class AnswerType(StrEnum):
    """What kind of span answers a question."""

    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ORGANIZATION = "organization"
    TITLE = "title"
    LIST = "list"
    REASON = "reason"
    MANNER = "manner"
    OTHER = "other"


# Checked in order: the first pattern that matches the folded (simplified, lower-case) question wins.
_TYPE_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (AnswerType.REASON, re.compile(r"为什么|为何|什么原因|原因是|why\b")),
    (
        AnswerType.DATE,
        re.compile(
            r"什么时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|几点|什么时间|哪个月|哪一年度|哪几天|哪几日|哪几个月|哪几年|哪几周"
            r"|when\b|what time|what year|what date|which year"
        ),
    ),
    # `哪几个乡镇`, `哪几类`, `分布在哪些领域` ask which ones, not how many or where: before the number and place patterns.
    (AnswerType.LIST, re.compile(r"哪几|在哪些(?!地方|地区|乡镇|镇|区|县|市|村|街道|社区|国家|城市|省|站)")),
    (
        AnswerType.NUMBER,
        re.compile(
            r"多少|几[个家名位场次项年月天人岁级倍成层座条辆台件种]|多长|多大|多高|多重|多远|多久|多深|多宽|百分之几|比例"
            r"|how (?:many|much|long|far|big|large|high|tall)|what percentage|"
            r"what (?:is|was|are|were) the (?:[a-z-]+ ){0,4}"
            r"(?:number|amount|total|capacity|population|length|area|size|cost|price|value|investment|rate|speed|temperature|output|throughput|volume|growth)\b"
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            r"谁|哪位|哪些人|什么人|哪名|who\b|whom\b"
            r"|which (?:[a-z-]+ ){0,2}(?:member|person|official|leader|delegate|expert|chairman|secretary|mayor|director)s?\b"
        ),
    ),
    (AnswerType.PLACE, re.compile(r"哪里|哪儿|什么地方|在哪|何处|哪个地方|位于|哪个国家|哪个城市|哪些地区|哪些地方|哪个地区|where\b")),
    (
        AnswerType.TITLE,
        re.compile(
            r"什么(?:建议|批复|文件|报告|名单|通知|办法|书|提案|规划|意见|条例|方案)|叫什么名字|书名|篇名"
            r"|what (?:proposal|document|report|book)"
        ),
    ),
    (
        AnswerType.ORGANIZATION,
        re.compile(
            r"哪个(?:部门|单位|机构|协会|公司|企业|组织|学校|团体|园区)|哪家|什么(?:部门|机构|单位|组织|公司)"
            r"|which (?:company|organization|department|agency)"
        ),
    ),
    (AnswerType.LIST, re.compile(r"哪些|有什么|which (?:\w+ )?(?:are|were)|what are")),
    (AnswerType.MANNER, re.compile(r"怎么|如何|怎样|how\b")),
)

_QUESTION_WORDS = re.compile(
    r"什么时候|什么时间|什么地方|什么原因|为什么|为何|怎么样|怎么|如何|怎样|多少|哪里|哪儿|哪些|哪个|哪位|哪家|哪一|哪|谁|什么|几|多长|多大|多久|多高|多远|吗|呢|吧|请问|是否"
)
_PUNCTUATION = re.compile(r"[\s，,。.？?！!：:；;、“”\"'‘’（）()《》]+")


@dataclass(frozen=True)
class Question:
    """A question as the reader sees it: original text, folded text, expected type, content pieces, script."""

    text: str
    folded: str
    answer_type: AnswerType
    content: tuple[str, ...]
    is_chinese: bool


def analyze(question: str, normalize: TextNormalizer) -> Question:
    """Return the expected answer type and the content pieces (question words and punctuation removed)."""
    folded = normalize(question)
    answer_type = next((kind for kind, pattern in _TYPE_PATTERNS if pattern.search(folded)), AnswerType.OTHER)
    is_chinese = bool(re.search(r"[\u4e00-\u9fff]", folded))
    if is_chinese:
        pieces = _PUNCTUATION.split(_QUESTION_WORDS.sub(" ", folded))
    else:
        pieces = english_content_words(folded)
    return Question(question, folded, answer_type, tuple(piece for piece in pieces if piece), is_chinese)
