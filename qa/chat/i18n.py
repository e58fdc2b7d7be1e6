"""The chat's two interface languages: every label, status and error in Chinese and English.

Static labels go to the browser through Gradio's i18n (`locale_tables`), which picks the language
from the browser's own (`navigator.language`); text the server writes (answers' labels, statuses,
errors) picks the same language from the request's Accept-Language header (`language_of`). English
browsers get English; every other language, and a request without one, gets Chinese.
"""

from __future__ import annotations

from qa.errors import QAError

ZH, EN = "zh", "en"
# Gradio 6's own interface languages (its i18n falls back to English for any other; see qa.chat.locale_shim).
GRADIO_LOCALES = (
    "ar",
    "ca",
    "ckb",
    "de",
    "en",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fr",
    "he",
    "hi",
    "id",
    "ja",
    "ko",
    "lt",
    "nb",
    "nl",
    "pl",
    "pt",
    "pt-BR",
    "ro",
    "ru",
    "sv",
    "ta",
    "th",
    "tr",
    "uk",
    "ur",
    "uz",
    "zh-CN",
    "zh-TW",
)

MESSAGES: dict[str, tuple[str, str]] = {
    # page
    "title": ("qa-bot：从你的文档中给出带出处的答案", "qa-bot: cited answers from your documents"),
    "heading": ("## qa-bot — 原文摘录、注明出处的答案", "## qa-bot — verbatim, cited answers from your documents"),
    "tab_chat": ("对话", "Chat"),
    "tab_documents": ("我的文档", "Your documents"),
    "tab_settings": ("设置", "Settings"),
    "tab_evaluation": ("评测", "Evaluation"),
    "conversation": ("对话", "Conversation"),
    "chat_placeholder": (
        "就文档提问：每个答案都是原文片段，并注明出处。",
        "Ask about the documents; every answer is a verbatim span with its source.",
    ),
    "question_placeholder": ("输入问题，例如：它的总投资是多少？", "Ask a question, e.g. 它的总投资是多少？"),
    "ask": ("提问", "Ask"),
    "new_conversation": ("新对话", "New conversation"),
    "correction": ("正确答案（针对你最后评价的答案，否则针对最新答案）", "Correct answer (for the answer you rated last, else the latest)"),
    "save_correction": ("保存正确答案", "Save correct answer"),
    "upload_intro": (
        "上传 {suffixes} 文件（每个最大 {mb} MB）；索引完成后即可提问。",
        "Upload {suffixes} files (up to {mb} MB each); they are answerable as soon as they are indexed.",
    ),
    "upload": ("上传文档", "Upload documents"),
    "uploaded_document": ("已上传的文档", "Uploaded document"),
    "remove": ("从索引中删除", "Remove from the index"),
    "top_k": ("阅读的段落数（top-k）", "top-k passages read"),
    "retriever": ("检索方式", "retriever"),
    "threshold": ("拒答阈值", "abstention threshold"),
    "model": ("向量模型（名称或本地文件夹）", "embedding model (name or local folder)"),
    "use_model": ("使用此模型（重新向量化全部文档）", "Use this model (re-embeds every document)"),
    "eval_source": ("问题集", "questions"),
    "eval_gold": ("内置标准集", "built-in gold set"),
    "eval_feedback": ("已保存的反馈", "saved feedback"),
    "eval_uploaded": ("上传的数据集", "uploaded dataset"),
    "eval_dataset": (
        "数据集（.jsonl：每行 id、question、answers；或 SQuAD .json）",
        "dataset (.jsonl: id, question, answers per line; or SQuAD .json)",
    ),
    "run_eval": ("运行评测", "Run evaluation"),
    # start-up
    "status_starting": ("正在启动…", "Starting…"),
    "status_converting": ("正在转换模型（仅首次启动）…", "Converting the model (first start only)…"),
    "status_loading": ("正在加载模型…", "Loading the model…"),
    "status_indexing": ("正在索引文档：{done}/{total} 个段落", "Indexing documents: {done}/{total} passages"),
    "status_warming": ("正在加载阅读模型并预热…", "Loading the reader and warming up…"),
    "status_ready": ("就绪：{documents} 个文档，{passages} 个段落。", "Ready: {documents} documents, {passages} passages."),
    "status_failed": ("启动失败：{reason}", "Start-up failed: {reason}"),
    "status_wait": ("问题会在加载完成后回答。", "Questions asked now are answered once loading is done."),
    # answers
    "understood_as": ("理解为：", "Understood as: "),
    "confidence": ("置信度 {score}", "confidence {score}"),
    "evidence": ("依据：", "Evidence: "),
    "untitled": ("（无标题）", "(untitled)"),
    "line": ("第 {start} 行", "line {start}"),
    "lines": ("第 {start}–{end} 行", "lines {start}–{end}"),
    "alternatives": ("其他可能的答案：", "Alternatives:"),
    "timing": ("检索 {retrieve} 毫秒 · 阅读 {read} 毫秒", "retrieve {retrieve} ms · read {read} ms"),
    # errors and statuses
    "question_empty": ("问题是空的；请输入问题", "the question is empty; type a question"),
    "question_not_text": ("问题必须是文本（收到 {kind}）", "the question must be text (got {kind})"),
    "history_not_text": ("history 必须是之前问题的文本列表", "history must be a list of earlier questions (text)"),
    "question_too_long": ("问题有 {chars} 个字符；请少于 {limit} 个", "the question is {chars} characters long; keep it under {limit}"),
    "unknown_retriever": ("未知的检索方式 {mode!r}；可选：{choices}", "unknown retriever {mode!r}; choose from {choices}"),
    "bad_top_k": ("top-k 至少为 1（收到 {k}）", "top-k must be at least 1 (got {k})"),
    "bad_threshold": (
        "拒答阈值必须在 0 到 1 之间（收到 {threshold}）",
        "the abstention threshold must be between 0 and 1 (got {threshold})",
    ),
    "start_failed": (
        "应用未能启动：{reason}；请查看服务器日志后重启",
        "the app could not start: {reason}; see the server log and restart it",
    ),
    "start_timeout": ("模型仍在加载；请稍后再问", "the model is still loading; ask again in a moment"),
    "only_answers": ("只能评价答案。", "Only answers can be rated."),
    "disliked": (
        "已记为不满意。在下方输入正确答案，即可加入你的标准集。",
        "Disliked. Type the correct answer below to add it to your gold set.",
    ),
    "liked": ("已作为参考答案保存到 {path}。", "Saved to {path} as a reference answer."),
    "ask_first": ("请先提问。", "Ask a question first."),
    "type_correct": ("请先输入正确答案", "type the correct answer first"),
    "correction_saved": ("已将“{question}”的正确答案保存到 {path}。", "Saved the correct answer for “{question}” to {path}."),
    "indexing_upload": ("正在索引 {names}（可以继续提问）…", "Indexing {names} (you can keep asking)…"),
    "indexed": ("已索引 {name}，现在就可以提问。", "Indexed {name}; ask about it now."),
    "not_indexed": ("未索引：{reason}", "Not indexed: {reason}"),
    "choose_document": ("请选择要删除的已上传文档。", "Choose an uploaded document to remove."),
    "removed": ("已删除 {name}（{count} 个段落）。", "Removed {name} ({count} passages)."),
    "not_uploaded": (
        "{name} 不是上传的文档；只能删除上传的文档",
        "{name} is not an uploaded document; only uploaded documents can be removed",
    ),
    "not_in_uploads": ("{name} 不在已上传的文档中", "{name} is not in the uploaded documents"),
    "bad_file_name": (
        "无法使用文件名 {name!r}；请改名为 report.txt 之类",
        "cannot use the file name {name!r}; rename it to something like report.txt",
    ),
    "unsupported_type": (
        "{name}：不支持的文件类型 {suffix!r}（支持：{supported}）",
        "{name}: unsupported file type {suffix!r} (supported: {supported})",
    ),
    "over_limit": ("{name}：{size} 超过上传上限 {limit}", "{name}: {size} is over the upload limit of {limit}"),
    "using_model": (
        "正在使用 {model}：{passages} 个段落，本次向量化 {embedded} 个。",
        "Using {model}: {passages} passages, {embedded} embedded now.",
    ),
    "report_written": ("报告：{path}", "Report: {path}"),
    "no_feedback": (
        "还没有保存的反馈；请先在对话中点赞或输入正确答案",
        "no saved feedback yet; like an answer or enter a correct answer in the chat first",
    ),
    "upload_dataset_first": (
        "请先上传数据集（每行 id、question、answers 的 .jsonl，或 SQuAD .json）",
        "upload a dataset first (.jsonl with id, question, answers per line, or SQuAD .json)",
    ),
    "bad_dataset_type": ("{name}：数据集必须是 .jsonl 或 SQuAD .json", "{name}: a dataset must be .jsonl or SQuAD .json"),
    "unknown_dataset": ("未知的数据集 {source!r}", "unknown dataset {source!r}"),
    "no_questions": ("{name} 中没有问题", "{name} holds no questions"),
    "evaluating": ("正在回答问题", "answering"),
    "embedding": ("正在向量化段落", "embedding passages"),
    "questions_unit": ("个问题", "questions"),
    "passages_unit": ("个段落", "passages"),
    # tables
    "col_document": ("文档", "document"),
    "col_passages": ("段落数", "passages"),
    "col_origin": ("来源", "source"),
    "origin_uploaded": ("上传", "uploaded"),
    "origin_built-in": ("内置", "built-in"),
    "origin_indexed": ("qa index 添加", "added with qa index"),
    "no_documents": ("还没有索引任何文档。", "No documents are indexed."),
    "col_id": ("编号", "id"),
    "col_question": ("问题", "question"),
    "col_answer": ("答案", "answer"),
    "col_references": ("参考答案", "references"),
    "not_found_cell": ("（未找到）", "(not found)"),
    "unanswerable": ("（无答案）", "(unanswerable)"),
    "no_failures": ("没有错误：每个答案都与参考答案完全一致。", "No failures: every answer matched a reference exactly."),
    "metric": ("指标", "metric"),
    "value": ("数值", "value"),
    "metric_n": ("问题数", "questions"),
    "metric_n_answerable": ("有答案的问题", "answerable questions"),
    "metric_em": ("完全匹配（EM）", "exact match (EM)"),
    "metric_f1": ("F1", "F1"),
    "metric_no_answer_accuracy": ("无答案判断准确率", "no-answer accuracy"),
    "metric_recall@1": ("检索召回率 @1", "retrieval recall @1"),
    "metric_recall@5": ("检索召回率 @5", "retrieval recall @5"),
    "metric_recall@10": ("检索召回率 @10", "retrieval recall @10"),
    "metric_recall@20": ("检索召回率 @20", "retrieval recall @20"),
    "metric_mrr@10": ("MRR@10", "MRR@10"),
    "metric_citation_accuracy": ("引用准确率", "citation accuracy"),
    "metric_latency_p50_ms": ("每题耗时中位数（毫秒）", "time per question, median (ms)"),
    "metric_latency_p95_ms": ("每题耗时 p95（毫秒）", "time per question, p95 (ms)"),
    "metric_retriever": ("检索方式", "retriever"),
}

# Keys shown by Gradio itself (labels, tabs, buttons); the others are written by the server.
UI_KEYS = (
    "title",
    "heading",
    "tab_chat",
    "tab_documents",
    "tab_settings",
    "tab_evaluation",
    "conversation",
    "chat_placeholder",
    "question_placeholder",
    "ask",
    "new_conversation",
    "correction",
    "save_correction",
    "upload",
    "uploaded_document",
    "remove",
    "top_k",
    "retriever",
    "threshold",
    "model",
    "use_model",
    "eval_source",
    "eval_gold",
    "eval_feedback",
    "eval_uploaded",
    "eval_dataset",
    "run_eval",
    "status_starting",
    "upload_intro",
)


class ChatError(QAError):
    """A user error of the chat with a message in both languages; str() is the English one (logs, the API)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(translate(key, EN, **params))
        self.key = key
        self.params = params

    def message(self, language: str) -> str:
        """Return the one-line message in a language."""
        return translate(self.key, language, **self.params)


def translate(key: str, language: str, **params: object) -> str:
    """Return the message of a key in a language (zh or en), its {placeholders} filled from params."""
    chinese, english = MESSAGES[key]
    return (english if language == EN else chinese).format(**params)


def error_message(error: QAError, language: str) -> str:
    """Return a user error's one-line message in the language (errors from outside the chat stay as they are)."""
    return error.message(language) if isinstance(error, ChatError) else str(error)


def language_of(accept_language: str | None) -> str:
    """Return the interface language (zh or en) for a browser's Accept-Language header: its first language.

    English (`en`, `en-US`, …) gets English; every other language, and a request without one, gets
    Chinese. The page applies the same rule before Gradio's i18n reads the browser's language
    (qa.chat.locale_shim), so the labels and the server's messages agree.
    """
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return EN if first.split("-")[0] == EN else ZH


def locale_tables(ui_params: dict[str, object] | None = None) -> dict[str, dict[str, str]]:
    """Return Gradio's translation tables of the UI keys (placeholders filled from ui_params): English under `en`,
    Chinese under `zh` and every other locale Gradio knows."""
    params = ui_params or {}
    english = {key: translate(key, EN, **params) for key in UI_KEYS}
    chinese = {key: translate(key, ZH, **params) for key in UI_KEYS}
    tables = {locale: chinese for locale in GRADIO_LOCALES if locale != EN}
    return {EN: english, ZH: chinese, **tables}
