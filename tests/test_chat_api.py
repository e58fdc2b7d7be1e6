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
