"""The Gradio app's layout: chat, your documents, settings and evaluation tabs, the `/ask` API, and their wiring."""

from __future__ import annotations

import gradio as gr

from embeddings.encoder import DEFAULT_MODEL
from qa.answering import DEFAULT_THRESHOLD
from qa.chat.documents import UPLOAD_SUFFIXES
from qa.chat.evaluation import EVAL_SOURCES, GOLD
from qa.chat.handlers import ChatHandlers
from qa.chat.service import ChatService
from qa.retrieval.retriever import RETRIEVERS

EXAMPLE_QUESTIONS = (
    "獨山港區A3泊位的設計年綜合通過能力是多少？",
    "302省道与525国道平改立工程隧道部分什么时候正式通车？",
    "平湖哪个园区获评省级电子商务产业示范基地？",
    "市政协十四届三次会议什么时候开幕？",
)

CSS = """
.qa-span { font-weight: 700; }
.qa-answer mark { background: #ffe066; color: inherit; padding: 0 1px; }
.qa-marker { color: #3b6fd8; font-weight: 600; }
.qa-confidence, .qa-timing, .qa-passage-id, .qa-resolved { color: #777; font-size: 0.85em; }
.qa-passage { border-left: 3px solid #ccc; margin: 4px 0; padding-left: 8px; }
.qa-error { color: #b00020; }
.qa-documents td, .qa-failures td { padding: 2px 8px; }
"""


def build_app(service: ChatService) -> gr.Blocks:
    """Return the app's Blocks wired to the service (nothing runs until it is launched)."""
    handlers = ChatHandlers(service)

    with gr.Blocks(title="qa-bot: cited answers from your documents") as app:
        turns = gr.State([])
        rated = gr.State(None)
        gr.Markdown("## qa-bot — verbatim, cited answers from your documents")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    height=560,
                    elem_id="chat",
                    examples=[{"text": question} for question in EXAMPLE_QUESTIONS],
                    placeholder="Ask about the documents; every answer is a verbatim span with its source.",
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask a question, e.g. 它的总投资是多少？", show_label=False, scale=8, elem_id="question")
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    new_button = gr.Button("New conversation", scale=1, elem_id="new")
                with gr.Row():
                    correction = gr.Textbox(label="Correct answer (for the answer you rated last, else the latest)", scale=8, elem_id="correct")
                    save_button = gr.Button("Save correct answer", scale=1, elem_id="save-correct")
                feedback_status = gr.Markdown(elem_id="feedback-status")
            with gr.Tab("Your documents", id="documents"):
                gr.Markdown(f"Upload {' '.join(UPLOAD_SUFFIXES)} files (up to {service.max_upload_bytes / 2**20:.0f} MB each); they are answerable as soon as they are indexed.")
                files = gr.File(label="Upload documents", file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="upload")
                upload_status = gr.Markdown(elem_id="upload-status")
                documents_table = gr.HTML(elem_id="documents")
                with gr.Row():
                    to_remove = gr.Dropdown(label="Uploaded document", choices=[], scale=4, elem_id="remove-choice")
                    remove_button = gr.Button("Remove from the index", scale=1, elem_id="remove")
            with gr.Tab("Settings", id="settings"):
                k = gr.Slider(1, 20, value=5, step=1, label="top-k passages read", elem_id="top-k")
                mode = gr.Radio(list(RETRIEVERS), value="hybrid", label="retriever", elem_id="retriever")
                threshold = gr.Slider(0, 1, value=DEFAULT_THRESHOLD, step=0.05, label="abstention threshold", elem_id="threshold")
                model = gr.Dropdown([DEFAULT_MODEL], value=service.model, allow_custom_value=True, label="embedding model (name or local folder)")
                model_button = gr.Button("Use this model (re-embeds every document)")
                model_status = gr.Markdown()
            with gr.Tab("Evaluation", id="evaluation"):
                source = gr.Radio(list(EVAL_SOURCES), value=GOLD, label="questions", elem_id="eval-source")
                dataset = gr.File(label="dataset (.jsonl: id, question, answers per line; or SQuAD .json)", file_types=[".jsonl", ".json"], elem_id="eval-dataset")
                run_button = gr.Button("Run evaluation", variant="primary", elem_id="run-eval")
                eval_status = gr.Markdown(elem_id="eval-status")
                metrics = gr.Markdown(elem_id="metrics")
                failures = gr.HTML(elem_id="failures")
                plots = gr.Gallery(label="plots", columns=3, height=420, object_fit="contain", interactive=False, elem_id="plots")

        settings = [k, mode, threshold]
        chat_outputs = [chatbot, turns, question]
        private = {"api_visibility": "private"}
        question.submit(handlers.respond, [question, turns, *settings], chat_outputs, **private)
        ask_button.click(handlers.respond, [question, turns, *settings], chat_outputs, **private)
        chatbot.example_select(handlers.respond_example, [turns, *settings], chat_outputs, **private)
        new_button.click(lambda: ([], [], "", None), None, [chatbot, turns, question, rated], **private)
        chatbot.clear(lambda: ([], None), None, [turns, rated], **private)
        chatbot.like(handlers.rate, [turns], [feedback_status, rated], **private)
        save_button.click(handlers.correct, [correction, turns, rated], [feedback_status, correction], **private)
        files.upload(handlers.upload, [files], [upload_status, documents_table, to_remove, files], **private)
        remove_button.click(handlers.remove, [to_remove], [upload_status, documents_table, to_remove], **private)
        model_button.click(handlers.use_model, [model], [model_status, documents_table, to_remove], **private)
        run_button.click(handlers.evaluate, [source, dataset, *settings], [eval_status, metrics, failures, plots], **private)
        app.load(handlers.documents_view, None, [documents_table, to_remove], **private)
        gr.api(handlers.ask, api_name="ask")
    return app
