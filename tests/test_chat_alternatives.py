"""Alternatives worth showing, display names and the interface language: pure functions on hand-made records."""

from __future__ import annotations

import pytest

from qa.answers import Candidate, Citation
from qa.chat.alternatives import shown_alternatives, worth_showing
from qa.chat.i18n import EN, MESSAGES, UI_KEYS, ZH, ChatError, language_of, locale_tables, translate
from qa.chat.names import DocumentNames

CITATION = Citation("d.txt#1.1", "d.txt", None, 0, 1, 1, 1, "x")


def candidate(text: str, score: float = 0.5) -> Candidate:
    return Candidate(text, score, CITATION)


@pytest.mark.parametrize(
    ("text", "answer", "score", "shown"),
    [
        ("。", "169万吨", 0.9, False),
        ("1", "169万吨", 0.9, False),
        ("23", "169万吨", 0.9, False),
        ("万元", "12亿元", 0.9, False),
        ("万人次", "45万人次", 0.9, False),
        ("169万吨", "169万吨", 0.9, False),
        ("169万", "169万吨", 0.9, False),
        ("160万吨", "169万吨", 0.1, False),
        ("160万吨", "169万吨", 0.3, True),
        ("三百万吨", "169万吨", 0.3, True),
        ("许静", "张婷婷", 0.3, True),
        ("2025年", "张婷婷", 0.3, False),
        ("“", "张婷婷", 0.9, False),
        ("47", "330", 0.3, True),
        ("5月", "1280米", 0.3, False),
        ("2025年", "1280米", 0.3, False),
        ("1日", "1280米", 0.3, False),
        ("1300米", "1280米", 0.3, True),
        ("3万吨级", "169万吨", 0.3, False),
        ("3.5%", "2.1%", 0.3, True),
        ("2024年3月1日", "2025年5月1日", 0.3, True),
        ("1280米", "2025年5月1日", 0.3, False),
    ],
)
def test_worth_showing(text, answer, score, shown):
    assert worth_showing(candidate(text, score), answer) is shown


def test_shown_alternatives_drop_repeats_and_keep_three():
    candidates = [candidate(text) for text in ("160万吨", "160 万吨", "。", "150万吨", "140万吨", "130万吨")]
    assert [c.text for c in shown_alternatives(candidates, "169万吨")] == ["160万吨", "150万吨", "140万吨"]


def test_display_names_never_show_server_paths(tmp_path):
    names = DocumentNames(tmp_path / "data" / "documents", tmp_path / "repo" / "seeds")
    upload = str(tmp_path / "data" / "documents" / "星河湾大桥.txt")
    seed = str(tmp_path / "repo" / "seeds" / "000.txt")
    other = str(tmp_path / "elsewhere" / "notes" / "plan.md")
    assert [names.display(path) for path in (upload, seed, other)] == ["星河湾大桥.txt", "seeds/000.txt", "plan.md"]
    assert [names.origin(path) for path in (upload, seed, other)] == ["uploaded", "built-in", "indexed"]
    assert names.passage_id(upload + "#1.2") == "星河湾大桥.txt#1.2"
    assert str(tmp_path) not in names.display(upload)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, ZH),
        ("", ZH),
        ("zh-CN,zh;q=0.9", ZH),
        ("zh-TW", ZH),
        ("zh", ZH),
        ("zh-HK", ZH),
        ("en-US,en;q=0.9", EN),
        ("en", EN),
        ("EN-gb", EN),
        ("fr-FR,fr", ZH),
        ("vi-VN", ZH),
    ],
)
def test_language_of_english_browsers_else_chinese(header, language):
    assert language_of(header) == language


def test_every_message_in_both_languages_and_gradio_tables():
    assert all(len(pair) == 2 and all(pair) for pair in MESSAGES.values())
    tables = locale_tables({"suffixes": ".txt", "mb": "20"})
    assert (
        tables["en"]["ask"] == "Ask"
        and tables["zh"]["ask"] == "提问"
        and tables["zh-CN"]["tab_chat"] == "对话"
        and tables["fr"]["ask"] == "提问"
    )
    assert tables["en"]["upload_intro"] == "Upload .txt files (up to 20 MB each); they are answerable as soon as they are indexed."
    assert set(tables["en"]) == set(UI_KEYS)
    error = ChatError("question_too_long", chars=600, limit=500)
    assert str(error) == "the question is 600 characters long; keep it under 500"
    assert error.message(ZH) == "问题有 600 个字符；请少于 500 个" == translate("question_too_long", ZH, chars=600, limit=500)


def test_the_locale_script_goes_first_in_the_page_head_only():
    from qa.chat.locale_shim import LOCALE_SCRIPT, with_locale_script

    html = [(b"content-type", b"text/html; charset=utf-8")]
    page = with_locale_script(b"<!doctype html><html><head><title>x</title></head></html>", html)
    assert page == b"<!doctype html><html><head>" + LOCALE_SCRIPT.encode() + b"<title>x</title></head></html>"
    assert with_locale_script(b'{"head": "<head>"}', [(b"content-type", b"application/json")]) == b'{"head": "<head>"}'
    assert with_locale_script(b"<head>", [*html, (b"content-encoding", b"br")]) == b"<head>"
    assert "'zh-TW'" in LOCALE_SCRIPT and "'zh-CN'" in LOCALE_SCRIPT and '"pt-BR"' in LOCALE_SCRIPT
