"""The chat service with the fake encoder: start (index, then reuse), answer, follow-ups, uploads, removal, conversation turns."""

from __future__ import annotations

import pytest

from qa.chat.conversation import answered_turn, error_turn, feedback_for, history, messages, turn_at
from qa.chat.evaluation import FEEDBACK, GOLD, UPLOADED, dataset_for, run_evaluation
from qa.chat.service import ChatService
from qa.errors import QAError
from tests.fakes import FakeEncoder

UPLOAD = "星河湾大桥全长1280米，于2025年5月1日正式通车。\n\n星河湾大桥总投资12亿元，由平湖交通集团建设。\n"


def make_service(data_dir, **options) -> ChatService:
    return ChatService(data_dir, make_encoder=lambda model, directory: FakeEncoder(), **{"reader": "span", **options})


@pytest.fixture
def service(tmp_path):
    service = make_service(tmp_path / "data")
    service.start()
    return service


def test_first_start_indexes_the_seed_and_second_start_reuses_it(tmp_path):
    first = make_service(tmp_path).start()
    assert (first.reused, first.passages, first.documents) == (False, 30, 1)
    second = make_service(tmp_path).start()
    assert second.reused and second.message.startswith("reused the index: 30 passages from 1 documents")


def test_answers_a_seed_question_with_a_citation(service):
    answer = service.ask("獨山港區A3泊位的設計年綜合通過能力是多少？", mode="bm25").answer
    assert answer.text == "169万吨"
    assert answer.citations[0].document.endswith("000_855235c3d5b4990d.txt") and answer.citations[0].line_start == 61


def test_user_errors_are_one_line_messages(service):
    with pytest.raises(QAError, match="the question is empty"):
        service.ask("  ")
    with pytest.raises(QAError, match="unknown retriever"):
        service.ask("什么？", mode="magic")
    with pytest.raises(QAError, match="top-k must be at least 1"):
        service.ask("什么？", k=0)
    with pytest.raises(QAError, match="between 0 and 1"):
        service.ask("什么？", threshold=2)


def test_upload_is_answerable_at_once_listed_and_removable(service, tmp_path):
    upload = tmp_path / "bridge.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    done = []
    result = service.add([(upload, "星河湾 大桥.txt")], lambda count, total: done.append((count, total)))
    assert result.errors == () and result.stored == ("星河湾 大桥.txt",)
    assert done[-1] == (31, 31)
    assert service.ask("星河湾大桥全长多少米？", mode="bm25").answer.text == "1280米"
    documents = service.documents()
    assert [(d.name, d.origin, d.passages) for d in documents] == [
        ("星河湾 大桥.txt", "uploaded", 1),
        ("seeds/000_855235c3d5b4990d.txt", "built-in", 30),
    ]
    update = service.remove(documents[0].name)
    assert update.removed == 1 and [d.origin for d in service.documents()] == ["built-in"]
    assert not (service.uploads / "星河湾 大桥.txt").exists()


def test_refused_uploads_say_why_and_leave_nothing_behind(tmp_path):
    service = make_service(tmp_path / "data", max_upload_mb=2 / 1024)
    service.start()
    big = tmp_path / "big.txt"
    big.write_text("大" * 1000, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    result = service.add([(big, "big.txt"), (big, "run.exe"), (empty, "empty.txt")])
    assert result.stored == ()
    assert result.errors[0] == "big.txt: 2.9 KB is over the upload limit of 2.0 KB"
    assert "unsupported file type '.exe'" in result.errors[1]
    assert result.errors[2] == "nothing could be indexed: empty.txt: is empty"
    assert list(service.uploads.iterdir()) == []
    with pytest.raises(QAError, match="not an uploaded document"):
        service.remove(service.documents()[0].name)


def test_conversation_turns_history_messages_and_feedback(service):
    first = answered_turn(service.ask("獨山港區A3泊位的設計年綜合通過能力是多少？", mode="bm25"), answer_id="id1")
    failed = error_turn("<b>?</b>", "the question is empty; type a question")
    turns = [first, failed]
    assert history(turns) == ["獨山港區A3泊位的設計年綜合通過能力是多少？"]
    rendered = messages(turns)
    assert [m["role"] for m in rendered] == ["user", "assistant", "user", "assistant"]
    assert rendered[2]["content"] == '<div class="qa-question">&lt;b&gt;?&lt;/b&gt;</div>'
    assert rendered[3]["content"] == '<div class="qa-error">the question is empty; type a question</div>'
    assert turn_at(turns, 1) is first and turn_at(turns, 0) is None and turn_at(turns, 3) is None and turn_at(turns, 9) is None
    feedback = feedback_for(first, "like")
    assert (feedback.answer_id, feedback.shown, feedback.rating) == ("id1", "169万吨", "like")


def test_evaluation_tab_sources(service, tmp_path):
    with pytest.raises(QAError, match="no saved feedback yet"):
        dataset_for(FEEDBACK, service, None)
    with pytest.raises(QAError, match="upload a dataset first"):
        dataset_for(UPLOADED, service, None)
    view = run_evaluation(service, GOLD, None, 5, "bm25", 0.4)
    assert view.retriever == "bm25" and view.summary["n"] == 104 and len(view.failures) == 15
    assert all(row[4] < 1 for row in view.failures)
    assert all(path.exists() for path in view.plots) and (view.report / "report.md").exists()


def test_evaluation_of_saved_feedback_and_of_an_uploaded_dataset(service, tmp_path):
    from qa.chat.feedback import FeedbackStore

    turn = answered_turn(service.ask("獨山港區A3泊位的設計年綜合通過能力是多少？", mode="bm25"), answer_id="id1")
    FeedbackStore(service.data_dir).record(feedback_for(turn, "like"))
    view = run_evaluation(service, FEEDBACK, None, 5, "bm25", 0.4)
    assert (view.summary["n"], view.summary["em"], view.summary["f1"]) == (1, 1.0, 1.0) and view.report.name == "chat-feedback"
    dataset = tmp_path / "mine.jsonl"
    dataset.write_text(
        '{"id": "m1", "question": "<b>全省共有多少个电子商务产业基地入选示范基地名单？</b>", "answers": ["不知道"]}\n', encoding="utf-8"
    )
    view = run_evaluation(service, UPLOADED, dataset, 5, "bm25", 0.4)
    assert (view.summary["n"], view.summary["em"]) == (1, 0.0)
    assert view.failures[0][:2] == ("m1", "<b>全省共有多少个电子商务产业基地入选示范基地名单？</b>")
    with pytest.raises(QAError, match="a dataset must be .jsonl or SQuAD .json"):
        run_evaluation(service, UPLOADED, tmp_path / "notes.txt", 5, "bm25", 0.4)


def test_switching_the_model_re_embeds_and_a_failed_switch_keeps_the_old_one(tmp_path):
    encoders = {"default": FakeEncoder(), "other": FakeEncoder(dimension=32, name="other", fingerprint="other-1")}

    def make_encoder(model, directory):
        if model not in encoders:
            raise QAError(f"cannot load embedding model '{model}'")
        return encoders[model]

    service = ChatService(tmp_path, reader="span", make_encoder=make_encoder)
    service.start()
    update = service.use_model("other")
    assert update.embedded == 30 and service.model == "other"
    assert service.retriever().index.manifest.model == "other" and service.ask("平湖", mode="dense").passages
    with pytest.raises(QAError, match="cannot load embedding model 'missing'"):
        service.use_model("missing")
    assert service.model == "other" and service.ask("平湖", mode="dense").passages


def test_start_reports_each_stage_and_questions_wait_for_it(tmp_path):
    import threading

    from qa.chat.service import READY, STARTING

    service = make_service(tmp_path)
    assert service.status.stage == STARTING and not service.status.finished
    answers = []
    asking = threading.Thread(
        target=lambda: answers.append(service.ask("獨山港區A3泊位的設計年綜合通過能力是多少？", mode="bm25").answer.text)
    )
    asking.start()
    asking.join(timeout=0.5)
    assert asking.is_alive() and answers == []
    service.start()
    asking.join(timeout=30)
    assert answers == ["169万吨"]
    assert (service.status.stage, service.status.documents, service.status.passages) == (READY, 1, 30)


def test_a_failed_start_is_reported_and_given_to_questions(tmp_path):
    from qa.chat.service import FAILED

    def broken(model, directory):
        raise QAError("cannot load embedding model 'x'")

    service = ChatService(tmp_path, reader="span", make_encoder=broken)
    with pytest.raises(QAError):
        service.start()
    assert (service.status.stage, service.status.error) == (FAILED, "cannot load embedding model 'x'")
    with pytest.raises(QAError, match=r"^the app could not start: cannot load embedding model 'x'; see the server log and restart it$"):
        service.ask("什么？")


def test_a_follow_up_without_context_needs_its_referent_before_any_loading(tmp_path):
    from qa.chat.service import NeedsReferent

    service = make_service(tmp_path)
    with pytest.raises(NeedsReferent) as needs:
        service.ask("它的总投资是多少？")
    assert needs.value.word == "它"
    with pytest.raises(QAError, match=r"the question must be text \(got int\)"):
        service.ask(42)


def test_start_report_times_each_stage(tmp_path):
    first = make_service(tmp_path).start()
    assert [stage for stage, _ in first.stages] == ["converting", "indexing", "warming"]
    assert all(seconds >= 0 for _, seconds in first.stages) and first.stages_line.startswith("start-up stages: converting ")
    (tmp_path / "models").mkdir(exist_ok=True)
    assert [stage for stage, _ in make_service(tmp_path).start().stages] == ["loading", "warming"]
