"""The chat app in headless Chromium (Debian's /usr/bin/chromium) with the real model and seed.

The tests share one page (an en-US browser) and run in order, as one user session: load, ask, follow
up, upload and ask, the XSS document, an upload over the limit, removal, like and correct, evaluate,
latency; then a zh-CN browser (Chinese labels, a follow-up without context, alternatives), a phone-sized window, a start
whose model loads behind the page, and a second start of `python app.py` on the same data dir.
Screenshots and the measured latencies go to tests/artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "browser"
SEED_QUESTIONS = (
    "獨山港區A3泊位的設計年綜合通過能力是多少？",
    "平湖哪个园区获评省级电子商务产业示范基地？",
    "302省道与525国道平改立工程隧道部分什么时候正式通车？",
    "全省共有多少个电子商务产业基地入选示范基地名单？",
    "302省道与525国道平改立工程项目位于哪里？",
    "市政协十四届三次会议什么时候开幕？",
    "How many e-commerce bases in the province were selected?",
    "平湖市的常住人口是多少？",
)
BRIDGE = "星河湾大桥工程\n\n星河湾大桥全长1280米，于2025年5月1日正式通车。\n\n星河湾大桥总投资12亿元，由平湖交通集团建设。\n"
XSS = (
    "彩虹桥工程\n\n"
    '彩虹桥全长880米。<script>window.__xss = 1; alert("script")</script>\n\n'
    "彩虹桥的设计单位是<img src=x onerror=\"window.__xss = 2; alert('img')\">市政设计院。\n"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory, real_data_dir, real_encoder) -> Path:
    """A data dir of its own for the app, sharing the converted model with the other integration tests."""
    _ = real_encoder.fingerprint  # converts the shared model on first use, before it is linked below
    directory = tmp_path_factory.mktemp("chat-app")
    (directory / "models").symlink_to(real_data_dir / "models", target_is_directory=True)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return directory


@pytest.fixture(scope="module")
def app_url(chat_dir, real_encoder):
    from qa.chat.server import launch
    from qa.chat.service import ChatService

    service = ChatService(chat_dir, max_upload_mb=1, make_encoder=lambda model, directory: real_encoder)
    service.start()
    app = launch(service, port=free_port())
    yield app.local_url
    app.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, app_url):
    page = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1100}).new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


def shot(page, name: str, reply=None, full_page: bool = True) -> None:
    if reply is not None:
        reply.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def replies(page) -> int:
    return page.locator("#chat .qa-answer, #chat .qa-error, #chat .qa-clarify").count()


def ask(page, question: str) -> float:
    """Type a question, press Enter, wait for its reply; return the seconds the browser waited."""
    before = replies(page)
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .qa-answer, #chat .qa-error, #chat .qa-clarify').length > {before}", timeout=60_000
    )
    return time.perf_counter() - started


def last_reply(page):
    return page.locator("#chat .qa-answer, #chat .qa-error, #chat .qa-clarify").last


def open_tab(page, name: str) -> None:
    """Open a tab from the tab bar, or from Gradio's "More tabs" menu where the bar has moved it there (a narrow
    window, or the bar measured while the page's layout was changing)."""
    tab = page.get_by_role("tab", name=name)
    try:
        tab.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeout:
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button", has_text=name).click()
    else:
        tab.click()
    page.wait_for_timeout(300)


def upload(page, path: Path) -> str:
    """Upload a file and return the status line of this upload (not the previous one, which stays on the page until
    the new one is done: waiting for any "Indexed" line raced a slow indexing run, and the previous line with Gradio's
    progress text added to it differs from it too, so a line that still holds the previous one does not count)."""
    open_tab(page, "Your documents")
    status = page.locator("#upload-status")
    before = status.inner_text() if status.count() else ""
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_function(
        """before => {
            const status = document.querySelector('#upload-status');
            const text = status ? status.innerText : "";
            const fresh = text !== before && !(before && text.includes(before));
            return fresh && /Indexed|Not indexed/.test(text) && !/Indexing/.test(text);
        }""",
        arg=before,
        timeout=120_000,
    )
    return page.inner_text("#upload-status")


def test_page_loads_with_example_questions_and_english_labels(page):
    examples = page.locator("#chat button.example").all_inner_texts()
    assert examples[0] == SEED_QUESTIONS[0] and len(examples) == 4
    assert page.get_by_role("tab").all_inner_texts() == ["Chat", "Your documents", "Settings", "Evaluation"]
    assert page.inner_text("#ask") == "Ask" and page.inner_text("#new") == "New conversation"
    page.wait_for_function("/Ready: 1 documents, 30 passages/.test(document.querySelector('#status').innerText)", timeout=30_000)
    assert not page.locator("#correct-row").is_visible()
    shot(page, "01-empty-chat-with-examples-en-US")


def test_seed_question_shows_cited_answer_with_highlighted_span(page):
    ask(page, SEED_QUESTIONS[0])
    reply = last_reply(page)
    assert reply.locator(".qa-span").inner_text() == "169万吨"
    assert reply.locator(".qa-reply .qa-marker").first.inner_text() == "[1]"
    source = reply.locator("details.qa-source").first
    source.locator("summary").click()
    assert "000_855235c3d5b4990d.txt · A3泊位正式对外开放 独山港再“扩容” · line 61" in source.locator("summary").inner_text()
    assert source.locator("mark").inner_text() == "169万吨"
    assert "设计年综合通过能力 169万吨" in source.locator(".qa-evidence").inner_text()
    assert source.locator(".qa-evidence").inner_text().startswith("Evidence: ")
    assert_alternatives_are_answers(reply)
    assert page.locator("#correct-row").is_visible()
    shot(page, "02-seed-answer-with-source", reply)


def test_follow_up_uses_the_conversation(page):
    ask(page, SEED_QUESTIONS[4])
    ask(page, "它的总投资是多少？")
    reply = last_reply(page)
    assert "302省道与525国道平改立工程项目的总投资是多少？" in reply.locator(".qa-resolved").inner_text()
    assert reply.locator(".qa-span").count() == 1
    shot(page, "03-follow-up", reply)


def test_uploaded_document_is_answerable_at_once(page, tmp_path):
    path = tmp_path / "星河湾大桥.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    status = upload(page, path)
    assert status == "Indexed 星河湾大桥.txt; ask about it now."
    assert "星河湾大桥.txt\t1\tuploaded" in page.inner_text("#documents")
    assert_no_server_path(page, path)
    shot(page, "04-documents-after-upload")
    open_tab(page, "Chat")
    ask(page, "星河湾大桥全长多少米？")
    reply = last_reply(page)
    assert reply.locator(".qa-span").inner_text() == "1280米"
    assert reply.locator("details.qa-source summary").first.inner_text() == "[1] 星河湾大桥.txt · (untitled) · line 3"
    reply.locator("details.qa-source summary").first.click()
    assert reply.locator(".qa-passage-id").first.inner_text() == "星河湾大桥.txt#1.1"
    assert_no_server_path(page, path)
    shot(page, "05-answer-from-upload", reply)


def test_xss_document_renders_as_text_and_runs_nothing(page, tmp_path):
    path = tmp_path / "彩虹桥<img src=x onerror=alert(1)>.txt"
    path.write_text(XSS, encoding="utf-8")
    assert "Indexed" in upload(page, path)
    open_tab(page, "Chat")
    ask(page, "彩虹桥的设计单位是哪个？")
    reply = last_reply(page)
    for details in reply.locator("details").all():
        details.locator("summary").click()
    page.wait_for_timeout(500)
    text = reply.inner_text()
    assert "<img src=x onerror=" in text or "<script>" in text
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    assert page.locator("#chat img[src=x], #chat script, #documents img").count() == 0
    shot(page, "06-xss-document-as-text", reply)
    ask(page, '<img src=x onerror="window.__xss = 3; alert(3)">彩虹桥全长多少米？')
    assert '<img src=x onerror="window.__xss = 3; alert(3)">' in page.locator("#chat .qa-question").last.inner_text()
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert page.locator("#chat img[src=x]").count() == 0


def assert_alternatives_are_answers(reply) -> None:
    """No alternative is a single character, punctuation only, or a bare unit (a number answer's alternatives hold a numeral)."""
    answer = reply.locator(".qa-span").inner_text()
    for text in reply.locator(".qa-alternative").all_inner_texts():
        assert len(text.strip()) > 1 and any(char.isalnum() for char in text), text
        if any(char.isdigit() for char in answer):
            assert any(char.isdigit() or char in "〇一二两三四五六七八九十" for char in text), text


def assert_no_server_path(page, *also: Path) -> None:
    """Neither the data dir, the project folder, the temp folder nor any given file's folder appears in the page's HTML."""
    html = page.content()
    for folder in (ROOT, Path("/tmp"), Path("/work"), *(path.parent for path in also)):
        assert str(folder) + "/" not in html, folder


def test_upload_over_the_size_limit_is_refused_with_a_message(page, tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("大" * 400_000, encoding="utf-8")
    open_tab(page, "Your documents")
    page.set_input_files("#upload input[type=file]", str(path))
    toast = page.locator(".toast-body", has_text='File(s) exceed the maximum allowed size of 1.0 Mb: "big.txt"')
    toast.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    shot(page, "07-upload-over-the-limit", full_page=False)
    assert "big.txt" not in page.inner_text("#documents")
    open_tab(page, "Chat")


def test_remove_an_uploaded_document(page):
    open_tab(page, "Your documents")
    before = page.locator("#documents tr", has_text="uploaded").count()
    page.click("#remove")
    page.wait_for_function("/Removed/.test(document.querySelector('#upload-status').innerText)", timeout=60_000)
    assert page.locator("#documents tr", has_text="uploaded").count() == before - 1
    open_tab(page, "Chat")


def test_like_saves_the_answer_in_the_feedback_file(page, chat_dir):
    page.locator("#chat button[aria-label='Like']").first.click()
    page.wait_for_function("/Saved to/.test(document.querySelector('#feedback-status').innerText)", timeout=30_000)
    rows = [json.loads(line) for line in (chat_dir / "feedback" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["question"] == SEED_QUESTIONS[0] and rows[0]["answers"] == ["169万吨"] and rows[0]["rating"] == "like"
    shot(page, "08-liked-answer", page.locator("#chat .qa-answer").first)
    page.locator("#chat button[aria-label='Like'], #chat button[aria-label='Liked']").nth(1).click()
    page.wait_for_function("/Saved to/.test(document.querySelector('#feedback-status').innerText)", timeout=30_000)
    page.fill("#correct textarea", "广陈镇民主村")
    page.click("#save-correct")
    page.wait_for_function("/Saved the correct answer/.test(document.querySelector('#feedback-status').innerText)", timeout=30_000)
    rows = [json.loads(line) for line in (chat_dir / "feedback" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["question"], row["answers"], row["rating"]) for row in rows] == [
        (SEED_QUESTIONS[0], ["169万吨"], "like"),
        (SEED_QUESTIONS[4], ["广陈镇民主村"], "correction"),
    ]


def test_evaluation_tab_runs_the_gold_set(page):
    open_tab(page, "Evaluation")
    page.click("#run-eval")
    page.locator("#eval-status .progress-text").wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(1000)
    shot(page, "09a-evaluation-running", full_page=False)
    assert page.locator(".progress-text:visible").count() == 1 and page.locator("#eval-status .progress-text:visible").count() == 1
    page.wait_for_selector("#metrics table", timeout=240_000)
    cells = page.locator("#metrics table tbody tr td").all_inner_texts()
    assert cells[:6] == ["retriever", "hybrid", "questions", "104", "answerable questions", "92"]
    assert cells[6] == "exact match (EM)" and len(cells[7]) == 5 and cells[7].startswith("0.")
    assert page.locator("#failures table tr").count() > 1
    assert "eval/chat-seed_gold/report.md" in page.inner_text("#eval-status")
    page.wait_for_function("document.querySelectorAll('#plots img').length >= 3", timeout=30_000)
    shot(page, "09-evaluation-gold-set")
    page.get_by_label("saved feedback").check()
    page.click("#run-eval")
    page.wait_for_function("/chat-feedback/.test(document.querySelector('#eval-status').innerText)", timeout=120_000)
    assert page.locator("#metrics table tbody tr td").all_inner_texts()[:4] == ["retriever", "hybrid", "questions", "2"]
    shot(page, "10-evaluation-feedback")


def test_answer_latency_seen_in_the_browser(page):
    open_tab(page, "Chat")
    page.click("#new")
    page.wait_for_function("document.querySelectorAll('#chat .qa-answer, #chat .qa-error, #chat .qa-clarify').length == 0", timeout=30_000)
    page.locator("#chat button.example").first.click()
    page.wait_for_function("document.querySelectorAll('#chat .qa-answer').length == 1", timeout=60_000)
    assert last_reply(page).locator(".qa-span").inner_text() == "169万吨"
    seconds = [ask(page, question) for question in SEED_QUESTIONS]
    ordered = sorted(seconds)
    figures = {
        "questions": len(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "all_s": [round(s, 3) for s in seconds],
    }
    (ARTIFACTS / "latency.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    shot(page, "11-latency-run")
    assert figures["median_s"] < 10


def test_chinese_browser_gets_chinese_labels_and_a_clarification(browser, app_url):
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1100}).new_page()
    page.goto(app_url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert page.get_by_role("tab").all_inner_texts() == ["对话", "我的文档", "设置", "评测"]
    assert page.inner_text("#ask") == "提问" and page.inner_text("#new") == "新对话"
    page.wait_for_function("/就绪：1 个文档/.test(document.querySelector('#status').innerText)", timeout=30_000)
    shot(page, "13-zh-CN-empty-chat")
    ask(page, "它的总投资是多少？")
    reply = page.locator("#chat .qa-clarify").last
    assert reply.inner_text().startswith("“它”指的是什么？")
    assert page.locator("#chat .qa-answer").count() == 0 and not page.locator("#correct-row").is_visible()
    shot(page, "14-zh-CN-follow-up-without-context", reply)
    for question in SEED_QUESTIONS[:6]:
        ask(page, question)
        assert_alternatives_are_answers(last_reply(page))
    reply = page.locator("#chat .qa-answer").first
    assert "置信度" in reply.inner_text() and reply.locator(".qa-span").inner_text() == "169万吨"
    assert page.locator("#correct-row").is_visible() and page.inner_text("#save-correct") == "保存正确答案"
    shot(page, "15-zh-CN-answers-with-alternatives", reply)
    open_tab(page, "评测")
    assert page.get_by_label("已保存的反馈").count() == 1
    page.close()


@pytest.mark.parametrize(("locale", "chat_tab"), [("zh-HK", "对话"), ("zh", "对话"), ("vi-VN", "对话"), ("en-GB", "Chat")])
def test_browser_languages_gradio_does_not_ship_get_chinese_and_english_stays_english(browser, app_url, locale, chat_tab):
    page = browser.new_context(locale=locale).new_page()
    page.goto(app_url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert page.get_by_role("tab").first.inner_text() == chat_tab
    ready = "就绪" if chat_tab == "对话" else "Ready"
    page.wait_for_function(f"/{ready}/.test(document.querySelector('#status').innerText)", timeout=30_000)
    page.close()


def test_a_phone_sized_window_reaches_every_tab(browser, app_url):
    page = browser.new_context(locale="en-US", viewport={"width": 300, "height": 800}).new_page()
    page.goto(app_url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.wait_for_function("/Ready/.test(document.querySelector('#status').innerText)", timeout=30_000)
    assert page.get_by_role("button", name="More tabs").is_visible()
    chat, example = page.locator("#chat").bounding_box(), page.locator("#chat button.example").first.bounding_box()
    assert example["x"] + example["width"] <= chat["x"] + chat["width"]
    for name, shown in [("Evaluation", "#run-eval"), ("Your documents", "#remove"), ("Chat", "#question textarea")]:
        open_tab(page, name)
        assert page.locator(shown).is_visible(), name
    shot(page, "18-phone-sized-window", full_page=False)
    page.close()


def test_page_first_then_the_model_loads_and_a_waiting_question_is_answered(browser, tmp_path, real_data_dir, real_encoder):
    import threading

    from qa.chat.server import launch
    from qa.chat.service import ChatService

    release = threading.Event()

    def slow_encoder(model, directory):
        release.wait(60)
        return real_encoder

    (tmp_path / "models").symlink_to(real_data_dir / "models", target_is_directory=True)
    service = ChatService(tmp_path, make_encoder=slow_encoder)
    app = launch(service, port=free_port())
    starting = threading.Thread(target=service.start)
    starting.start()
    try:
        page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 700}).new_page()
        page.goto(app.local_url)
        page.wait_for_selector("#question textarea", timeout=60_000)
        page.wait_for_function("/正在.*问题会在加载完成后回答/.test(document.querySelector('#status').innerText)", timeout=30_000)
        page.fill("#question textarea", SEED_QUESTIONS[0])
        page.press("#question textarea", "Enter")
        page.wait_for_timeout(1000)
        assert page.locator("#chat .qa-answer").count() == 0
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "16-page-first-while-the-model-loads")
        release.set()
        page.wait_for_selector("#chat .qa-answer", timeout=120_000)
        assert last_reply(page).locator(".qa-span").inner_text() == "169万吨"
        page.wait_for_function("/就绪/.test(document.querySelector('#status').innerText)", timeout=60_000)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "17-waiting-question-answered")
        page.close()
    finally:
        release.set()
        starting.join(120)
        app.close()


def test_second_start_reuses_the_index_and_is_ready_quickly(browser, chat_dir, app_url):
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--data-dir", str(chat_dir), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("ready in"):
                break
        ready = time.perf_counter() - started
        assert any(line.startswith("reused the index") for line in lines), "".join(lines)
        order = [line.split()[0] for line in lines if line.startswith(("starting page in", "page in", "ready in"))]
        assert order == ["starting", "page", "ready"], "".join(lines)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#question textarea", timeout=60_000)
        ask(page, SEED_QUESTIONS[0])
        reply = last_reply(page)
        assert reply.locator(".qa-span").count() == 1, reply.inner_text()
        assert reply.locator(".qa-span").inner_text() == "169万吨"
        shot(page, "12-second-start")
        page.close()
        (ARTIFACTS / "second_start.json").write_text(
            json.dumps({"ready_s": round(ready, 2), "log": lines}, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        assert ready < 90
    finally:
        process.terminate()
        process.wait(timeout=30)
