"""The Gradio app's layout: chat, your documents, settings and evaluation tabs, the `/ask` API, and their wiring.

Every label is a key of qa.chat.i18n, translated by Gradio's i18n in the browser's language.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from embeddings.encoder import DEFAULT_MODEL
from qa.chat.api import describe, make_ask
from qa.chat.documents import UPLOAD_SUFFIXES
from qa.chat.evaluation import FEEDBACK, GOLD, UPLOADED
from qa.chat.handlers import ChatHandlers
from qa.chat.i18n import locale_tables
from qa.chat.service import ChatService
from qa.retrieval.retriever import RETRIEVERS

EXAMPLE_QUESTIONS = (
    "獨山港區A3泊位的設計年綜合通過能力是多少？",
    "302省道与525国道平改立工程隧道部分什么时候正式通车？",
    "平湖哪个园区获评省级电子商务产业示范基地？",
    "市政协十四届三次会议什么时候开幕？",
)
STATUS_POLL_SECONDS = 1.0

CSS = """
.qa-span { font-weight: 700; }
.qa-answer mark { background: #ffe066; color: inherit; padding: 0 1px; }
.qa-marker { color: #3b6fd8; font-weight: 600; }
.qa-confidence, .qa-timing, .qa-passage-id, .qa-resolved { color: #777; font-size: 0.85em; }
.qa-passage { border-left: 3px solid #ccc; margin: 4px 0; padding-left: 8px; }
.qa-error { color: #b00020; }
.qa-clarify { color: #8a5a00; }
.qa-alternatives ul { margin: 0; padding-left: 1.2em; }
.qa-closest summary, .qa-alternatives summary { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.qa-documents td, .qa-failures td, .qa-metrics td { padding: 2px 8px; }
.qa-metrics td:last-child { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
#eval-status { min-height: 4em; }
.qa-plots { display: flex; gap: 1%; }
.qa-plots img { width: 32%; height: auto; }
#chat .examples { grid-template-columns: repeat(auto-fit, minmax(min(240px, 100%), 1fr)); }
"""


def translations(service: ChatService) -> gr.I18n:
    """Return Gradio's i18n of the UI labels (English for English browsers, Chinese otherwise), the upload limit filled in."""
    return gr.I18n(**locale_tables({"suffixes": " ".join(UPLOAD_SUFFIXES), "mb": f"{service.max_upload_bytes / 2**20:.0f}"}))


def build_app(service: ChatService) -> gr.Blocks:
    """Return the app's Blocks wired to the service (nothing runs until it is launched)."""
    handlers = ChatHandlers(service)
    i18n = translations(service)

    with gr.Blocks(title="qa-bot", analytics_enabled=False) as app:
        turns = gr.State([])
        rated = gr.State(None)
        gr.Markdown(i18n("heading"))
        status = gr.Markdown(i18n("status_starting"), elem_id="status")
        timer = gr.Timer(STATUS_POLL_SECONDS)
        with gr.Tabs():
            with gr.Tab(i18n("tab_chat"), id="chat"):
                chatbot = gr.Chatbot(
                    label=i18n("conversation"),
                    show_label=False,
                    height=560,
                    elem_id="chat",
                    examples=[{"text": question} for question in EXAMPLE_QUESTIONS],
                    # Gradio translates a gr.I18n key in any text parameter; Chatbot annotates this one as str only
                    placeholder=i18n("chat_placeholder"),  # type: ignore[arg-type]
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    question = gr.Textbox(placeholder=i18n("question_placeholder"), show_label=False, scale=8, elem_id="question")
                    ask_button = gr.Button(i18n("ask"), variant="primary", scale=1, elem_id="ask")
                    new_button = gr.Button(i18n("new_conversation"), scale=1, elem_id="new")
                with gr.Row(visible=False, elem_id="correct-row") as correction_row:
                    correction = gr.Textbox(label=i18n("correction"), scale=8, elem_id="correct")
                    save_button = gr.Button(i18n("save_correction"), scale=1, elem_id="save-correct")
                feedback_status = gr.Markdown(elem_id="feedback-status")
            with gr.Tab(i18n("tab_documents"), id="documents"):
                gr.Markdown(i18n("upload_intro"))
                files = gr.File(label=i18n("upload"), file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="upload")
                upload_status = gr.Markdown(elem_id="upload-status")
                documents_table = gr.HTML(elem_id="documents")
                with gr.Row():
                    to_remove = gr.Dropdown(label=i18n("uploaded_document"), choices=[], scale=4, elem_id="remove-choice")
                    remove_button = gr.Button(i18n("remove"), scale=1, elem_id="remove")
            with gr.Tab(i18n("tab_settings"), id="settings"):
                k = gr.Slider(1, 20, value=5, step=1, label=i18n("top_k"), elem_id="top-k")
                mode = gr.Radio(list(RETRIEVERS), value="hybrid", label=i18n("retriever"), elem_id="retriever")
                threshold = gr.Slider(0, 1, value=service.abstain_below, step=0.05, label=i18n("threshold"), elem_id="threshold")
                model = gr.Dropdown([DEFAULT_MODEL], value=service.model, allow_custom_value=True, label=i18n("model"))
                model_button = gr.Button(i18n("use_model"))
                model_status = gr.Markdown()
            with gr.Tab(i18n("tab_evaluation"), id="evaluation"):
                source = gr.Radio(
                    [(i18n("eval_gold"), GOLD), (i18n("eval_feedback"), FEEDBACK), (i18n("eval_uploaded"), UPLOADED)],
                    value=GOLD,
                    label=i18n("eval_source"),
                    elem_id="eval-source",
                )
                dataset = gr.File(label=i18n("eval_dataset"), file_types=[".jsonl", ".json"], elem_id="eval-dataset")
                run_button = gr.Button(i18n("run_eval"), variant="primary", elem_id="run-eval")
                eval_status = gr.Markdown(elem_id="eval-status")
                metrics = gr.HTML(elem_id="metrics")
                failures = gr.HTML(elem_id="failures")
                plots = gr.HTML(elem_id="plots")

        settings = [k, mode, threshold]
        chat_outputs = [chatbot, turns, question]
        private: dict[str, Any] = {"api_visibility": "private"}
        quiet: dict[str, Any] = {**private, "show_progress": "hidden"}
        for answered in (
            question.submit(handlers.respond, [question, turns, *settings], chat_outputs, **private),
            ask_button.click(handlers.respond, [question, turns, *settings], chat_outputs, **private),
            chatbot.example_select(handlers.respond_example, [turns, *settings], chat_outputs, **private),
        ):
            answered.then(handlers.correction_box, [turns], [correction_row], **quiet)
        new_button.click(
            lambda: ([], [], "", None, gr.update(visible=False)), None, [chatbot, turns, question, rated, correction_row], **private
        )
        chatbot.clear(lambda: ([], None, gr.update(visible=False)), None, [turns, rated, correction_row], **private)
        chatbot.like(handlers.rate, [turns], [feedback_status, rated], **private)
        save_button.click(handlers.correct, [correction, turns, rated], [feedback_status, correction], **private)
        files.upload(handlers.upload, [files], [upload_status, documents_table, to_remove, files], concurrency_limit=1, **private)
        remove_button.click(handlers.remove, [to_remove], [upload_status, documents_table, to_remove], concurrency_limit=1, **private)
        model_button.click(handlers.use_model, [model], [model_status, documents_table, to_remove], concurrency_limit=1, **private)
        run_button.click(
            handlers.evaluate,
            [source, dataset, *settings],
            [eval_status, metrics, failures, plots],
            concurrency_limit=1,
            show_progress_on=[eval_status],
            **private,
        )
        timer.tick(handlers.startup, None, [status, documents_table, to_remove, timer], **quiet)
        app.load(handlers.startup, None, [status, documents_table, to_remove, timer], **quiet)
        gr.api(make_ask(service), api_name="ask")
        describe(app)
    return app
