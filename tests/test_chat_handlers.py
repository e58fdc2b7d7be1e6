"""The app's event handlers called directly (fake encoder): outputs per event, user errors as one escaped line."""

from __future__ import annotations

import json

import pytest

from qa.chat.handlers import ChatHandlers, no_progress
from qa.chat.service import ChatService
from tests.fakes import FakeEncoder

ENGLISH = type("Request", (), {"headers": {"accept-language": "en-US,en;q=0.9"}})()
CHINESE = type("Request", (), {"headers": {"accept-language": "zh-CN,zh;q=0.9"}})()


class Liked:
    def __init__(self, index: int, liked: bool) -> None:
        self.index, self.liked = index, liked


@pytest.fixture(scope="module")
def handlers(tmp_path_factory):
    service = ChatService(tmp_path_factory.mktemp("handlers"), reader="span", make_encoder=lambda model, directory: FakeEncoder())
    service.start()
    return ChatHandlers(service)


def test_respond_appends_a_turn_and_clears_the_question_box(handlers):
    chat, turns, box = handlers.respond("獨山港區A3泊位的設計年綜合通過能力是多少？", [], 5, "bm25", 0.4)
    assert box == "" and len(turns) == 1 and turns[0].answer == "169万吨"
    assert [m["role"] for m in chat] == ["user", "assistant"] and '<strong class="qa-span">169万吨</strong>' in chat[1]["content"]
    assert handlers.respond("   ", turns, 5, "bm25", 0.4)[1] == turns


def test_bad_settings_become_an_error_message_in_the_chat(handlers):
    chat, turns, _ = handlers.respond("<b>问</b>", [], 0, "bm25", 0.4, ENGLISH)
    assert chat[1]["content"] == '<div class="qa-error">top-k must be at least 1 (got 0)</div>' and turns[0].answer_id is None
    assert (
        handlers.respond("<b>问</b>", [], 0, "bm25", 0.4, CHINESE)[0][1]["content"]
        == '<div class="qa-error">top-k 至少为 1（收到 0）</div>'
    )
    assert handlers.rate(turns, Liked(1, True), ENGLISH) == ("Only answers can be rated.", None)
    assert handlers.rate(turns, Liked(1, True)) == ("只能评价答案。", None)


def test_a_follow_up_without_context_gets_a_clarification_not_an_answer(handlers):
    chat, turns, _ = handlers.respond("它的总投资是多少？", [], 5, "bm25", 0.4, CHINESE)
    assert chat[1]["content"].startswith('<div class="qa-clarify">“它”指的是什么？') and turns[0].answer_id is None
    assert handlers.correction_box(turns)["visible"] is False
    _, turns, _ = handlers.respond("302省道与525国道平改立工程项目位于哪里？", turns, 5, "bm25", 0.4, CHINESE)
    chat, turns, _ = handlers.respond("它的总投资是多少？", turns, 5, "bm25", 0.4, CHINESE)
    assert "理解为：302省道与525国道平改立工程项目的总投资是多少？" in chat[-1]["content"]
    assert handlers.correction_box(turns)["visible"] is True


def test_like_then_correction_rewrite_the_answers_row(handlers):
    _, turns, _ = handlers.respond("獨山港區A3泊位的設計年綜合通過能力是多少？", [], 5, "bm25", 0.4)
    status, rated = handlers.rate(turns, Liked(1, True), ENGLISH)
    assert status == "Saved to feedback/feedback.jsonl as a reference answer." and rated == turns[0].answer_id
    assert handlers.correct("", turns, rated, ENGLISH) == ("type the correct answer first", "")
    status, box = handlers.correct("169 万吨", turns, rated, ENGLISH)
    assert (
        status.startswith("Saved the correct answer for “獨山港區A3泊位") and status.endswith(" to feedback/feedback.jsonl.") and box == ""
    )
    rows = [json.loads(line) for line in handlers.feedback.path.read_text(encoding="utf-8").splitlines()]
    assert [row["answers"] for row in rows if row["id"] == rated] == [["169 万吨"]]
    assert handlers.correct("x", [], None, ENGLISH) == ("Ask a question first.", "x")


def test_upload_remove_and_their_messages(handlers, tmp_path):
    path = tmp_path / "bridge.txt"
    path.write_text("星河湾大桥全长1280米。\n", encoding="utf-8")
    steps = list(handlers.upload([str(path)], ENGLISH, progress=no_progress))
    assert steps[0][0] == "Indexing bridge.txt (you can keep asking)…"
    status, table, dropdown, box = steps[-1]
    assert status == "Indexed bridge.txt; ask about it now." and box is None
    assert "<td>bridge.txt</td><td>1</td><td>uploaded</td>" in table and dropdown["value"] == "bridge.txt"
    assert str(tmp_path) not in table and str(handlers.service.data_dir) not in table
    bad = tmp_path / "x.exe"
    bad.write_text("x", encoding="utf-8")
    assert (
        list(handlers.upload([str(bad)], CHINESE, progress=no_progress))[-1][0]
        == "未索引：x.exe：不支持的文件类型 &#x27;.exe&#x27;（支持：.txt .md .pdf .docx .html .htm）"
    )
    assert handlers.remove(None, ENGLISH)[0] == "Choose an uploaded document to remove."
    assert handlers.remove("seeds/000_855235c3d5b4990d.txt", ENGLISH)[0].endswith("only uploaded documents can be removed")
    assert handlers.remove(dropdown["value"], ENGLISH)[0] == "Removed bridge.txt (1 passages)."


def test_evaluate_reports_errors_as_one_line(handlers):
    assert handlers.evaluate("uploaded dataset", None, 5, "bm25", 0.4, ENGLISH, progress=no_progress) == (
        "upload a dataset first (.jsonl with id, question, answers per line, or SQuAD .json)",
        "",
        "",
        "",
    )
    assert handlers.evaluate("uploaded dataset", None, 5, "bm25", 0.4, CHINESE, progress=no_progress)[0].startswith("请先上传数据集")


def test_startup_status_while_loading_and_when_ready(tmp_path):
    service = ChatService(tmp_path, reader="span", make_encoder=lambda model, directory: FakeEncoder())
    loading = ChatHandlers(service)
    status, table, _, timer = loading.startup(CHINESE)
    assert status == '<span class="qa-loading">正在启动… 问题会在加载完成后回答。</span>' and timer.active is True
    service.start()
    status, table, dropdown, timer = loading.startup(ENGLISH)
    assert status == "Ready: 1 documents, 30 passages." and timer.active is False
    assert "<td>seeds/000_855235c3d5b4990d.txt</td><td>30</td><td>built-in</td>" in table


def test_ask_api_returns_the_answer_json_with_display_names(handlers):
    from qa.chat.api import make_ask

    result = make_ask(handlers.service)("獨山港區A3泊位的設計年綜合通過能力是多少？")
    assert result["answer"] == "169万吨" and result["citations"][0]["line_start"] == 61
    assert result["citations"][0]["document"] == "seeds/000_855235c3d5b4990d.txt"
    assert all(passage_id.startswith("seeds/000_855235c3d5b4990d.txt#") for passage_id in result["retrieved"])


def test_questions_are_answered_while_an_upload_is_being_indexed(tmp_path):
    import threading

    release = threading.Event()

    class SlowToEmbed(FakeEncoder):
        def encode_passages(self, texts, progress=None):
            if any("星河湾" in text for text in texts):
                release.wait(30)
            return super().encode_passages(texts, progress)

    service = ChatService(tmp_path, reader="span", make_encoder=lambda model, directory: SlowToEmbed())
    service.start()
    handlers = ChatHandlers(service)
    path = tmp_path / "bridge.txt"
    path.write_text("星河湾大桥全长1280米。\n", encoding="utf-8")
    steps = handlers.upload([str(path)], ENGLISH, progress=no_progress)
    assert next(steps)[0] == "Indexing bridge.txt (you can keep asking)…"
    finishing = threading.Thread(target=lambda: list(steps))
    finishing.start()
    _, turns, _ = handlers.respond("獨山港區A3泊位的設計年綜合通過能力是多少？", [], 5, "bm25", 0.4, ENGLISH)
    assert turns[0].answer == "169万吨" and finishing.is_alive()
    release.set()
    finishing.join(30)
    assert not finishing.is_alive() and [d.name for d in service.documents()][0] == "bridge.txt"
