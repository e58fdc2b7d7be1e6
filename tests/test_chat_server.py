"""Starting the app: `qa serve` and `python app.py` options, and a one-line error for a busy port."""

from __future__ import annotations

import socket

import pytest

from app import main as app_main
from qa.chat.server import launch
from qa.chat.service import ChatService
from qa.cli import build_parser
from qa.errors import QAError
from tests.fakes import FakeEncoder


def test_qa_serve_defaults_to_localhost_7860_without_a_share_link():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.share, args.model, args.max_upload_mb) == ("127.0.0.1", 7860, False, "default", 20)
    args = build_parser().parse_args(["--data-dir", "d", "serve", "--host", "0.0.0.0", "--port", "8080", "--share", "--max-upload-mb", "5"])
    assert (args.data_dir, args.host, args.port, args.share, args.max_upload_mb) == ("d", "0.0.0.0", 8080, True, 5.0)


def test_app_py_help_lists_the_serve_options(capsys):
    with pytest.raises(SystemExit):
        app_main(["--help"])
    out = capsys.readouterr().out
    assert all(option in out for option in ("--data-dir", "--host", "--port", "--share", "--max-upload-mb"))


def test_a_busy_port_is_a_one_line_error(tmp_path):
    service = ChatService(tmp_path, reader="span", make_encoder=lambda model, directory: FakeEncoder())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(QAError, match=rf"^cannot serve on 127.0.0.1:{port} \(.*\); pass another --port$"):
            launch(service, port=port)


def test_the_starting_page_answers_at_once_in_the_browser_language_and_frees_its_port():
    import urllib.request

    from qa.chat.splash import SPLASH_HEADER, StartingPage, splash_page

    assert "正在启动…" in splash_page(None) and "正在启动…" in splash_page("zh-CN,zh;q=0.9")
    assert "Starting…" in splash_page("en-US,en;q=0.9") and 'lang="en"' in splash_page("en")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = StartingPage("127.0.0.1", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200 and response.headers[SPLASH_HEADER] == "1"
            assert "正在启动…" in response.read().decode("utf-8")
    finally:
        page.close()
    with socket.socket() as again:  # as uvicorn binds it: SO_REUSEADDR, since the page's connection may linger in TIME_WAIT
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()


def test_the_starting_page_reports_the_start_up_stage_in_the_browser_language():
    import urllib.request

    from qa.chat.service import CONVERTING, INDEXING, StartStatus
    from qa.chat.splash import SPLASH_HEADER, STATUS_PATH, StartingPage

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = StartingPage("127.0.0.1", port)
    status = [StartStatus(CONVERTING)]

    def line(language: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{STATUS_PATH}?lang={language}") as response:
            assert response.headers[SPLASH_HEADER] == "1"
            return response.read().decode("utf-8")

    try:
        assert (line("zh"), line("en")) == ("正在启动…", "Starting…")
        page.show_status(lambda language: status[0].line(language))
        assert (line("zh"), line("en")) == ("正在转换模型（仅首次启动）…", "Converting the model (first start only)…")
        status[0] = StartStatus(INDEXING, 12, 58)
        assert (line("zh"), line("en")) == ("正在索引文档：12/58 个段落", "Indexing documents: 12/58 passages")
    finally:
        page.close()


def test_a_busy_port_is_a_one_line_error_before_anything_loads():
    from argparse import Namespace

    from qa.chat.launcher import run

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(QAError, match=rf"^cannot serve on 127.0.0.1:{port} \(.*\); pass another --port$"):
            run(Namespace(host="127.0.0.1", port=port), None)
