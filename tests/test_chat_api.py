"""The `/ask` API endpoint, called with gradio_client against a launched app (fake encoder, real seed)."""

from __future__ import annotations

import socket

import pytest

from qa.chat.server import launch
from qa.chat.service import ChatService
from tests.fakes import FakeEncoder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from gradio_client import Client

    service = ChatService(tmp_path_factory.mktemp("chat-api"), reader="span", make_encoder=lambda model, directory: FakeEncoder())
    service.start()
    app = launch(service, port=free_port())
    yield Client(app.local_url, verbose=False)
    app.close()


def test_ask_returns_the_answer_json_of_qa_ask(client):
    result = client.predict("獨山港區A3泊位的設計年綜合通過能力是多少？", [], api_name="/ask")
    assert set(result) == {"question", "resolved_question", "answer", "abstained", "score", "citations", "alternatives", "retrieved"}
    assert result["answer"] == "169万吨" and result["abstained"] is False
    citation = result["citations"][0]
    assert citation["line_start"] == 61 and citation["document"].endswith("seeds/000_855235c3d5b4990d.txt")
    assert "169万吨" in citation["evidence"]


def test_ask_resolves_follow_ups_from_the_history(client):
    result = client.predict("它的总投资是多少？", ["302省道与525国道平改立工程项目位于哪里？"], api_name="/ask")
    assert result["resolved_question"] == "302省道与525国道平改立工程项目的总投资是多少？"


def test_ask_with_an_empty_question_is_a_one_line_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="the question is empty; type a question"):
        client.predict("  ", api_name="/ask")


def test_only_ask_is_public(client):
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]


def test_ask_with_a_number_is_a_one_line_error_logged_as_one_line(client, caplog):
    from gradio_client.exceptions import AppError

    with caplog.at_level("INFO", logger="qa.chat.api"):
        with pytest.raises(AppError, match=r"^the question must be text \(got int\)$"):
            client.predict(42, [], api_name="/ask")
    assert [record.getMessage() for record in caplog.records if record.name == "qa.chat.api"] == [
        "ask: user error: the question must be text (got int)"
    ]


def test_a_follow_up_without_history_asks_what_it_refers_to(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="what does “它” refer to"):
        client.predict("它的总投资是多少？", [], api_name="/ask")


def test_ask_is_documented_with_typed_return_and_described_parameters(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/ask"]
    assert [parameter["parameter_name"] for parameter in info["parameters"]] == ["question", "history"]
    assert info["parameters"][0]["python_type"]["description"].startswith("the question, in Chinese or English")
    returned = info["returns"][0]["type"]
    assert returned["type"] == "object" and set(returned["properties"]) >= {"answer", "abstained", "citations", "alternatives"}


def test_analytics_off_and_private_events_refused_without_the_page(client):
    import httpx

    config = httpx.get(client.src.rstrip("/") + "/config").json()
    assert config["analytics_enabled"] is False
    private = [dependency["id"] for dependency in config["dependencies"] if dependency.get("api_name") != "ask"]
    response = httpx.post(client.src.rstrip("/") + "/gradio_api/queue/join", json={"fn_index": private[0], "data": [], "session_hash": "x"})
    assert response.status_code == 403 and response.json() == {"detail": "only /ask is public; use the app's page for everything else"}
    upload = httpx.post(client.src.rstrip("/") + "/gradio_api/upload", files={"files": ("a.txt", b"x")})
    assert upload.status_code == 403
    page = httpx.get(client.src)
    with_cookie = httpx.post(
        client.src.rstrip("/") + "/gradio_api/upload",
        files=[("files", ("a.txt", b"x" * 10)), ("files", ("b.txt", b"y" * 10))],
        cookies=page.cookies,
    )
    assert with_cookie.status_code == 200 and len(with_cookie.json()) == 2


def test_no_folder_of_the_data_dir_is_served(tmp_path):
    import httpx

    service = ChatService(tmp_path, reader="span", make_encoder=lambda model, directory: FakeEncoder())
    predictions = tmp_path / "eval" / "chat-seed_gold" / "predictions.jsonl"
    predictions.parent.mkdir(parents=True)
    predictions.write_text('{"id": "seed-001"}\n', encoding="utf-8")
    app = launch(service, port=free_port())
    try:
        for path in (predictions, tmp_path / "feedback" / "feedback.jsonl"):
            response = httpx.get(f"{app.local_url}gradio_api/file={path}")
            assert response.status_code in (403, 404) and "seed-001" not in response.text
    finally:
        app.close()


def test_citation_json_is_the_citation_field_for_field():
    from typing import get_type_hints

    from qa.answers import Citation
    from qa.chat.api import CitationJSON

    assert get_type_hints(CitationJSON) == get_type_hints(Citation)
