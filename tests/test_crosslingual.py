"""English questions over Chinese text: the reversed dictionary, pinyin names, and answers on the seed's sentences."""

from __future__ import annotations

import pytest

from qa.crosslingual import EnglishToChinese, core_words, english_forms, glossed_question, pinyin_matches, reverse_glosses
from qa.folding import TextNormalizer
from qa.ingest.pipeline import text_passages
from qa.reading.question import AnswerType, analyze
from qa.reading.span_reader import SpanReader
from qa.records import RetrievedPassage

CEDICT_LINES = [
    "# CC-CEDICT comment line",
    "泊位 泊位 [bo2 wei4] /berth/",
    "主持 主持 [zhu3 chi2] /to take charge of/to preside over/(TV) anchor/",
    "位於 位于 [wei4 yu2] /to be located at/to be situated at/",
    "主持會議 主持会议 [zhu3 chi2 hui4 yi4] /to chair a meeting/",
    "大型化工新材料企業 大型化工新材料企业 [x] /too long a headword/",
    "3C 3C [san1 C] /computers, communications, and consumer electronics/",
]


def test_reverse_glosses_maps_english_words_to_headwords():
    assert reverse_glosses(CEDICT_LINES) == {
        "berth": ("泊位",),
        "take": ("主持",),
        "charge": ("主持",),
        "preside": ("主持",),
        "anchor": ("主持",),
        "located": ("位于",),
        "situated": ("位于",),
        "chair": ("主持会议",),
    }


@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("to be located at", ["located"]),
        ("to preside over", ["preside"]),
        ("(TV) anchor", ["anchor"]),
        ("to chair a meeting", ["chair", "a", "meeting"]),
    ],
)
def test_core_words(gloss, expected):
    assert core_words(gloss) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("bases", ["bases", "bas", "base"]),
        ("presided", ["presided", "presid", "preside"]),
        ("chaired", ["chaired", "chair", "chaire"]),
        ("planning", ["planning", "plann", "planne", "plan"]),
        ("berth", ["berth"]),
    ],
)
def test_english_forms(word, expected):
    assert english_forms(word) == expected


def test_pinyin_matches_find_names_written_in_pinyin():
    text = "独山港区A3泊位，平湖市长"
    assert pinyin_matches("Dushan", text) == ["独山"]
    assert pinyin_matches("pinghu", text) == ["平湖"]
    assert pinyin_matches("shanghai", text) == []
    assert pinyin_matches("du", text) == []


def test_the_packaged_dictionary_translates_question_words():
    dictionary = EnglishToChinese()
    assert "主持" in dictionary.translations("presided")
    assert "泊位" in dictionary.translations("berth")
    assert "位于" in dictionary.translations("located")
    assert dictionary.translations("zzzz") == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which committee member proposed developing deep processing of the Xincang eggplant industry?", AnswerType.PERSON),
        ("What is the designed annual throughput capacity of berth A3 at Dushan port?", AnswerType.NUMBER),
        ("Where is the project located?", AnswerType.PLACE),
    ],
)
def test_english_question_types(question, expected):
    assert analyze(question, TextNormalizer()).answer_type is expected


def read(question: str, text: str):
    passages = [RetrievedPassage(passage, 1.0, rank) for rank, passage in enumerate(text_passages(text, "seed.txt"), start=1)]
    return SpanReader().read(question, passages)


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        (
            "What is the designed annual throughput capacity of berth A3 at Dushan port?",
            "独山港区A3泊位建设等级为3万吨级，主要从事对二甲苯、乙二醇等液体化工品及油品的装卸业务，设计年综合通过能力 169万吨。",
            "169万吨",
        ),
        (
            "Where is Pinghu's first national-highway underpass project located?",
            "据悉，302省道与525国道平改立工程项目是我市首个国道下穿项目，位于广陈镇民主村，长约 1.13公里，总投资 1.41亿元。",
            "广陈镇民主村",
        ),
        (
            "Who presided over the preparatory meeting?",
            "昨天下午举行了大会预备会议，审议通过了会议议程等。会议由市政协副主席许静主持。",
            "许静",
        ),
        (
            "How many e-commerce industrial bases in Zhejiang were selected as demonstration bases?",
            "近日，浙江省商务厅发布了《2023年度浙江省电子商务产业示范基地名单》，全省16个电子商务产业基地入选。",
            "16个",
        ),
    ],
)
def test_english_questions_get_chinese_spans(question, text, answer):
    assert read(question, text)[0].text == answer


def test_expand_query_adds_chinese_keywords_to_english_questions_only():
    dictionary = EnglishToChinese()
    expanded = dictionary.expand_query("Where is the berth located?")
    assert expanded.startswith("Where is the berth located? ")
    assert {"泊位", "位于"} <= set(expanded.split()[5:])
    assert dictionary.expand_query("泊位位于哪里？") == "泊位位于哪里？"


def test_an_english_question_is_glossed_with_the_renderings_the_passages_hold():
    dictionary = EnglishToChinese()
    text = "独山港区A3泊位建设等级为3万吨级，外轮可以靠泊。仲旭东主持会议。"
    assert glossed_question("Who presided over the meeting at Dushan port?", text, dictionary) == (
        "Who presided（主持） over the meeting（会议） at Dushan（独山） port?"
    )
    # a word is glossed once, at its first occurrence; a word of under five letters (`port`, `may`: too many senses)
    # gets no dictionary rendering, and words the text renders nowhere stay as asked
    assert glossed_question("Which ships may berth at berth A3?", text, dictionary) == "Which ships may berth（泊位） at berth A3?"
    assert glossed_question("What is the weather?", text, dictionary) == "What is the weather?"
    assert glossed_question("谁主持会议？", text, dictionary) == "谁主持会议？"
