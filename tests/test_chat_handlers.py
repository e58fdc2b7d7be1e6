"""The app's event handlers called directly (fake encoder): outputs per event, user errors as one escaped line."""

from __future__ import annotations

import json

import pytest

from qa.chat.handlers import ChatHandlers
from qa.chat.service import ChatService
from tests.fakes import FakeEncoder


def no_progress(*args, **kwargs) -> None:
    return None


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
    chat, turns, _ = handlers.respond("<b>问</b>", [], 0, "bm25", 0.4)
    assert chat[1]["content"] == '<div class="qa-error">top-k must be at least 1 (got 0)</div>' and turns[0].answer_id is None
    assert handlers.rate(turns, Liked(1, True)) == ("Only answers can be rated.", None)


def test_like_then_correction_rewrite_the_answers_row(handlers):
    _, turns, _ = handlers.respond("獨山港區A3泊位的設計年綜合通過能力是多少？", [], 5, "bm25", 0.4)
    status, rated = handlers.rate(turns, Liked(1, True))
    assert status.startswith("Saved to ") and rated == turns[0].answer_id
    assert handlers.correct("", turns, rated) == ("type the correct answer first", "")
    status, box = handlers.correct("169 万吨", turns, rated)
    assert status.startswith("Saved the correct answer for “獨山港區A3泊位") and box == ""
    rows = [json.loads(line) for line in handlers.feedback.path.read_text(encoding="utf-8").splitlines()]
    assert [row["answers"] for row in rows if row["id"] == rated] == [["169 万吨"]]
    assert handlers.correct("x", [], None) == ("Ask a question first.", "x")


def test_upload_remove_and_their_messages(handlers, tmp_path):
    path = tmp_path / "bridge.txt"
    path.write_text("星河湾大桥全长1280米。\n", encoding="utf-8")
    status, table, dropdown, box = handlers.upload([str(path)], progress=no_progress)
    assert status.startswith("Indexed ") and status.endswith("bridge.txt; ask about it now.") and box is None
    assert "bridge.txt</td><td>1</td><td>uploaded" in table and dropdown["value"].endswith("bridge.txt")
    bad = tmp_path / "x.exe"
    bad.write_text("x", encoding="utf-8")
    assert handlers.upload([str(bad)], progress=no_progress)[0].startswith("Not indexed: x.exe: unsupported file type")
    assert handlers.remove(None)[0] == "Choose an uploaded document to remove."
    assert handlers.remove("seeds/000_855235c3d5b4990d.txt")[0].endswith("only uploaded documents can be removed")
    assert handlers.remove(dropdown["value"])[0].endswith("bridge.txt (1 passages).")


def test_evaluate_reports_errors_as_one_line(handlers):
    assert handlers.evaluate("uploaded dataset", None, 5, "bm25", 0.4, progress=no_progress) == (
        "upload a dataset first (.jsonl with id, question, answers per line, or SQuAD .json)", "", "", [],
    )


def test_ask_api_returns_the_answer_json(handlers):
    result = handlers.ask("獨山港區A3泊位的設計年綜合通過能力是多少？")
    assert result["answer"] == "169万吨" and result["citations"][0]["line_start"] == 61
