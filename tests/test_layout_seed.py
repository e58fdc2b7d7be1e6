"""Reflow and layout on the seed's own lines: the six cases of PDF-extracted newspaper text."""

from __future__ import annotations

import pytest

from qa.ingest.layout import Contributor, find_articles, parse_byline
from qa.ingest.source import SourceDocument, plain_line
from qa.ingest.text import TracedText, close_letter_spacing, undouble
from tests.conftest import document_from_text

SEED_TITLES = [
    "触“电”腾飞有真招 平湖电商产业园上省榜",
    "A3泊位正式对外开放 独山港再“扩容”",
    None,
    "怀揣民意赴盛会 有备而来献良策 市政协委员昨报到 政协委员报到",
    "市政协十四届三次会议今日开幕 大会预备会议昨举行，通过会议议程等",
    "实干争春早 奋战开门红 平湖一二三产项目接连“落地开花”",
    "我市首个国道下穿项目建成",
    "市委常委会（扩大）会议召开 传达学习嘉兴市两会精神",
]


def traced(text: str) -> TracedText:
    return TracedText.from_line(plain_line(text, 1))


def lines_of(seed_lines: list[str], first: int, last: int) -> str:
    """Return seed lines first..last (1-based, inclusive) as one text."""
    return "\n".join(seed_lines[first - 1 : last])


def body(document: SourceDocument) -> str:
    return "\n".join(paragraph.text for article in find_articles(document) for paragraph in article.paragraphs)


def test_seed_articles_and_titles(seed_document):
    articles = find_articles(seed_document)
    assert [article.title for article in articles] == SEED_TITLES
    assert [len(article.paragraphs) for article in articles] == [4, 4, 1, 7, 4, 6, 3, 5]


# Case 1: hard wraps joined, no space between CJK, spaces in Latin/number runs kept.
def test_hard_wrapped_lines_are_joined(seed_lines):
    text = body(document_from_text(lines_of(seed_lines, 3, 7)))
    assert (
        text == "近日，浙江省商务厅发布了《2023年度浙江省电子商务产业示范基地名单》，全省16个电子商务产业基地入选，"
        "其中平湖市国际电子商务产业园成功上榜，获评省级电子商务产业示范基地。"
    )


def test_spaces_in_number_and_latin_runs_are_kept(seed_lines):
    text = body(document_from_text(lines_of(seed_lines, 18, 26)))
    assert "全年累计实现网络零售额 265.9亿元，同比增速 8.2%。" in text
    latin = body(document_from_text(lines_of(seed_lines, 311, 320)))
    assert latin.startswith("韩国 Fluonics 氟祥半导体材料及零部件项目等优质工业项目挑起平湖经济的“大梁”，盒马")


def test_justified_letter_spacing_between_cjk_is_closed(seed_lines):
    text = body(document_from_text(lines_of(seed_lines, 318, 320)))
    assert text == "年，全市实现服务业增加值397.4 亿元，可比增长 5.2%，对GDP的增长贡献率达到 35.6%。"
    assert close_letter_spacing(traced("怀揣民意赴盛会 有备而来献良策")).text == "怀揣民意赴盛会 有备而来献良策"


# Case 2: blank lines that are column breaks inside a sentence do not end the paragraph.
@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (138, 153, "委员沈建锋深入基层后发现受种源单一、管理难度高、采摘期短等因素影响"),
        (114, 136, "“希望通过我们的提案，能进一步推进我市文旅发展，催生出新模式、新动能。”张婷婷说。"),
    ],
)
def test_column_break_inside_sentence_is_joined(seed_lines, first, expected, last):
    paragraphs = [p.text for a in find_articles(document_from_text(lines_of(seed_lines, first, last))) for p in a.paragraphs]
    assert len(paragraphs) == 1
    assert expected in paragraphs[0]


def test_blank_line_after_sentence_ends_paragraph(seed_lines):
    paragraphs = [p.text for a in find_articles(document_from_text(lines_of(seed_lines, 96, 112))) for p in a.paragraphs]
    assert paragraphs == [
        "怀揣民情民意，意气风发赴会。昨天下午，参加市政协十四届三次会议的政协委员陆续报到，他们将在本次大会上建言献策，为平湖发展抒发“政协好声音”。",
        "“这是您的证件和资料，请在这里签到。”在报到现场，委员们有条不紊地办理手续、领取证件及会议材料，整个报到过程高效有序。不少委员在报到手续办理完毕后，便迫不及待地就彼此关心的热点问题展开讨论，畅谈经济社会发展与民生福祉等相关话题，为参会履职做好充足准备。",
    ]


# Case 3: bylines begin articles and become metadata; 本报讯 leads begin articles.
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("■记者 林旭东 通讯员 吴慧婷", (Contributor("记者", "林旭东"), Contributor("通讯员", "吴慧婷"))),
        ("■记者高洁", (Contributor("记者", "高洁"),)),
        ("■通讯员 徐冰艳 记者 钱澄蓉", (Contributor("通讯员", "徐冰艳"), Contributor("记者", "钱澄蓉"))),
    ],
)
def test_parse_byline(line, expected):
    assert parse_byline(line) == expected


def test_bylines_become_contributors_not_text(seed_document):
    articles = find_articles(seed_document)
    assert articles[0].contributors == (Contributor("记者", "林旭东"), Contributor("通讯员", "吴慧婷"))
    assert articles[2].contributors == (Contributor("记者", "高洁"), Contributor("见习记者", "陶佳敏"))
    assert articles[1].contributors == (Contributor("通讯员", "徐冰艳"), Contributor("记者", "钱澄蓉"))
    assert articles[3].contributors == (Contributor("记者", "徐玉霞"), Contributor("摄影", "王强"))
    text = body(seed_document)
    for fragment in ("■", "林旭东", "通讯员", "高洁", "摄影", "本报讯"):
        assert fragment not in text


def test_lead_without_byline_begins_an_article(seed_lines):
    articles = find_articles(document_from_text(lines_of(seed_lines, 362, 392)))
    assert [a.paragraphs[0].text[:8] for a in articles] == ["2月1日上午9时", "昨晚，市委常委会"]
    assert articles[0].title == "我市首个国道下穿项目建成"


# Case 4: headlines printed after the body are the titles of the article they follow.
def test_headline_after_body_titles_its_article(seed_lines):
    articles = find_articles(document_from_text(lines_of(seed_lines, 1, 87)))
    assert [(a.title, a.paragraphs[0].text[:6]) for a in articles] == [
        ("触“电”腾飞有真招 平湖电商产业园上省榜", "近日，浙江省"),
        ("A3泊位正式对外开放 独山港再“扩容”", "依海而建、因"),
    ]


def test_headline_before_byline_titles_the_next_article():
    articles = find_articles(document_from_text("独山港再“扩容”\n\n■记者 高洁\n\n本报讯 今天上午，码头开放。"))
    assert [(a.title, a.paragraphs[0].text) for a in articles] == [("独山港再“扩容”", "今天上午，码头开放。")]


def test_short_column_fragment_is_not_a_headline(seed_lines):
    paragraphs = [p.text for a in find_articles(document_from_text(lines_of(seed_lines, 283, 297))) for p in a.paragraphs]
    assert len(paragraphs) == 1
    assert paragraphs[0].startswith("一二三产业的健康发展、融合发展正是平湖经济发展韧性强、质量高")


# Case 5: doubled bold-font runs repaired, legitimate repeats untouched.
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("市委常委会市委常委会（（扩大扩大））会议召开会议召开", "市委常委会（扩大）会议召开"),
        ("政协委员报到政协委员报到", "政协委员报到"),
        ("在完成报到手续后，委员张婷婷已", "在完成报到手续后，委员张婷婷已"),
        ("他天天去看看，谢谢大家", "他天天去看看，谢谢大家"),
        ("天天", "天天"),
        ("谢谢谢谢", "谢谢谢谢"),
        ("看看", "看看"),
    ],
)
def test_undouble(line, expected):
    assert undouble(traced(line)).text == expected


def test_undouble_traces_to_first_copy():
    repaired = undouble(traced("政协委员报到政协委员报到"))
    assert repaired.positions == tuple((1, column) for column in range(6))


# Case 6: page furniture and photo captions are not answer text.
def test_page_furniture_is_dropped(seed_lines):
    articles = find_articles(document_from_text(lines_of(seed_lines, 191, 270)))
    assert "扫一扫" not in "".join(p.text for a in articles for p in a.paragraphs)
    assert articles[0].title == "市政协十四届三次会议今日开幕 大会预备会议昨举行，通过会议议程等"


def test_photo_caption_is_dropped():
    text = "本报讯 委员们陆续报到。\n图为委员在报到现场签到。\n（王强 摄）\n会议今天开幕。"
    assert body(document_from_text(text)) == "委员们陆续报到。会议今天开幕。"


def test_folder_with_bad_files_still_ingests_the_rest(tmp_path):
    from qa.ingest.pipeline import ingest_paths

    (tmp_path / "good.txt").write_text("本报讯 会议今天开幕。", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "fake.txt").write_bytes(b"\x00\x01\x02binary")
    result = ingest_paths([tmp_path])
    assert [p.text for p in result.passages] == ["会议今天开幕。"]
    assert sorted((e.path.rsplit("/", 1)[-1], e.reason) for e in result.errors) == [
        ("empty.txt", "is empty"),
        ("fake.txt", "looks like a binary file, not text"),
        ("photo.png", "unsupported file type '.png' (supported: .txt, .md, .html, .htm, .pdf, .docx)"),
    ]
