"""HTML of the chat: answers, sources, documents and evaluation tables, every piece of user text escaped.

Pure functions from records to strings, in the interface language given (zh or en). Whatever comes
from a document, a question or a dataset goes through `html.escape`, so a document holding
`<script>` shows the tag as text and runs nothing. Documents are shown by display name (a function
handed in), never by server path. Each fragment is one line without blank lines, so the chat's
Markdown renderer passes it through as HTML.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from qa.answering import TimedAnswer, not_found_message
from qa.answers import Candidate, Citation
from qa.chat.alternatives import shown_alternatives
from qa.chat.i18n import EN, MESSAGES, translate
from qa.eval_report import METRIC_COLUMNS
from qa.records import Passage

CLOSEST_SHOWN = 3
METRIC_ROWS = ("n", "n_answerable", *METRIC_COLUMNS[1:])


def _same(name: str) -> str:
    return name


@dataclass(frozen=True)
class View:
    """How to show things to one user: the interface language and the display name of a document or passage id."""

    language: str = EN
    document: Callable[[str], str] = _same
    passage_id: Callable[[str], str] = _same

    def t(self, key: str, **params: object) -> str:
        """Return the message of a key in this view's language."""
        return translate(key, self.language, **params)


def text_html(text: str) -> str:
    """Return the text escaped, line breaks as <br> (so no blank line ends the HTML block)."""
    return escape(text).replace("\r", "").replace("\n", "<br>")


def highlight(text: str, start: int, end: int) -> str:
    """Return the escaped text with characters [start, end) wrapped in <mark>."""
    return f"{text_html(text[:start])}<mark>{text_html(text[start:end])}</mark>{text_html(text[end:])}"


def question_html(question: str) -> str:
    """Return a user's question as an escaped chat message."""
    return f'<div class="qa-question">{text_html(question)}</div>'


def lines_label(line_start: int, line_end: int, view: View = View()) -> str:
    """Return 'line N' or 'lines N–M' (第 N 行, 第 N–M 行)."""
    return view.t("line", start=line_start) if line_start == line_end else view.t("lines", start=line_start, end=line_end)


def source_label(document: str, title: str | None, line_start: int, line_end: int, view: View = View()) -> str:
    """Return 'document · title · lines' as escaped text, the document by its display name."""
    return f"{text_html(view.document(document))} · {text_html(title or view.t('untitled'))} · {lines_label(line_start, line_end, view)}"


def source_html(number: int, citation: Citation, passage: Passage | None, view: View = View()) -> str:
    """Return a collapsible source: marker, document, title and lines; the passage with the span highlighted; the evidence."""
    if passage is not None and passage.id == citation.passage_id:
        body = f'<blockquote class="qa-passage">{highlight(passage.text, citation.start, citation.end)}</blockquote>'
    else:
        body = ""
    return (
        f'<details class="qa-source" data-source="{number}"><summary><span class="qa-marker">[{number}]</span> '
        f"{source_label(citation.document, citation.title, citation.line_start, citation.line_end, view)}</summary>"
        f'{body}<p class="qa-evidence">{view.t("evidence")}“{text_html(citation.evidence)}”</p>'
        f'<p class="qa-passage-id">{text_html(view.passage_id(citation.passage_id))}</p></details>'
    )


def answer_html(timed: TimedAnswer, view: View = View()) -> str:
    """Return the chat message of an answer: the span in bold with its marker, sources, alternatives worth showing, timings.

    An abstention shows 'not found' in the question's language and the closest passages, one line each.
    """
    answer = timed.answer
    passages = {result.passage.id: result.passage for result in timed.passages}
    parts = ['<div class="qa-answer">']
    if answer.resolved_question:
        parts.append(f'<p class="qa-resolved">{view.t("understood_as")}{text_html(answer.resolved_question)}</p>')
    if answer.text is None:
        parts.append(f'<p class="qa-not-found"><strong>{text_html(not_found_message(answer.question))}</strong></p>')
        closest = "".join(
            closest_html(number, result.passage, view) for number, result in enumerate(timed.passages[:CLOSEST_SHOWN], start=1)
        )
        parts.append(f'<div class="qa-closest-list">{closest}</div>')
    else:
        markers = "".join(f'<sup class="qa-marker">[{number}]</sup>' for number in range(1, len(answer.citations) + 1))
        parts.append(
            f'<p class="qa-reply"><strong class="qa-span">{text_html(answer.text)}</strong>{markers} '
            f'<span class="qa-confidence">{view.t("confidence", score=f"{answer.score:.2f}")}</span></p>'
        )
        parts.extend(
            source_html(number, citation, passages.get(citation.passage_id), view)
            for number, citation in enumerate(answer.citations, start=1)
        )
        alternatives = shown_alternatives(answer.alternatives, answer.text)
        if alternatives:
            parts.append(alternatives_html(alternatives, len(answer.citations) + 1, view))
    parts.append(f'<p class="qa-timing">{view.t("timing", retrieve=f"{timed.retrieve_ms:.0f}", read=f"{timed.read_ms:.0f}")}</p></div>')
    return "".join(parts)


def alternatives_html(alternatives: Sequence[Candidate], first_number: int, view: View = View()) -> str:
    """Return the alternatives, one line each: the span, its confidence and a collapsible source with its evidence sentence."""
    items = []
    for number, candidate in enumerate(alternatives, start=first_number):
        citation = candidate.citation
        items.append(
            f'<li><details class="qa-source" data-source="{number}"><summary>'
            f'<span class="qa-alternative">{text_html(candidate.text)}</span>'
            f'<sup class="qa-marker">[{number}]</sup> <span class="qa-confidence">{candidate.score:.2f}</span> · '
            f"{source_label(citation.document, citation.title, citation.line_start, citation.line_end, view)}</summary>"
            f'<p class="qa-evidence">{view.t("evidence")}“{text_html(citation.evidence)}”</p></details></li>'
        )
    return f'<div class="qa-alternatives"><p>{view.t("alternatives")}</p><ul>{"".join(items)}</ul></div>'


def closest_html(number: int, passage: Passage, view: View = View()) -> str:
    """Return a collapsible closest passage (for a 'not found' answer): one summary line of document, title and lines; the text inside."""
    return (
        f'<details class="qa-closest"><summary><span class="qa-marker">[{number}]</span> '
        f"{source_label(passage.document, passage.title, passage.line_start, passage.line_end, view)}</summary>"
        f'<blockquote class="qa-passage">{text_html(passage.text)}</blockquote></details>'
    )


def clarification_html(question: str, word: str) -> str:
    """Return the request to say what a follow-up's pronoun or ellipsis refers to, in the question's language."""
    chinese = any("\u4e00" <= char <= "\u9fff" for char in question)
    if chinese:
        text = f"“{word}”指的是什么？这是新对话的第一个问题，没有可以参照的上文。请把问题问完整，例如写出项目或地点的名称。"
    else:
        text = (
            f"What does “{word}” refer to? There is no earlier question to take it from; "
            "please ask the full question, naming what it is about."
        )
    return f'<div class="qa-clarify">{text_html(text)}</div>'


def error_html(message: str) -> str:
    """Return a one-line error as a chat message."""
    return f'<div class="qa-error">{text_html(message)}</div>'


def documents_html(documents: Sequence[tuple[str, int, str]], view: View = View()) -> str:
    """Return the table of indexed documents from (display name, passage count, origin) rows."""
    if not documents:
        return f'<p class="qa-documents-empty">{view.t("no_documents")}</p>'
    rows = "".join(
        f"<tr><td>{text_html(name)}</td><td>{count}</td><td>{text_html(view.t('origin_' + origin))}</td></tr>"
        for name, count, origin in documents
    )
    header = "".join(f"<th>{view.t(key)}</th>" for key in ("col_document", "col_passages", "col_origin"))
    return f'<table class="qa-documents"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>'


def failures_html(rows: Sequence[tuple[str, str, str | None, Sequence[str], float]], view: View = View()) -> str:
    """Return the table of worst answers from (id, question, answer or None, references, F1) rows."""
    if not rows:
        return f'<p class="qa-no-failures">{view.t("no_failures")}</p>'
    body = "".join(
        f"<tr><td>{text_html(row_id)}</td><td>{text_html(question)}</td>"
        f"<td>{text_html(answer) if answer is not None else view.t('not_found_cell')}</td>"
        f"<td>{text_html(' / '.join(references)) if references else view.t('unanswerable')}</td><td>{f1:.2f}</td></tr>"
        for row_id, question, answer, references, f1 in rows
    )
    header = "".join(f"<th>{view.t(key)}</th>" for key in ("col_id", "col_question", "col_answer", "col_references", "metric_f1"))
    return f'<table class="qa-failures"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def metric_value(name: str, value: float | None) -> str:
    """Return a metric as a person reads it: counts as integers, scores with 3 decimals, milliseconds with none, '–' when absent."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    if name.endswith("_ms"):
        return f"{float(value):.0f}"
    return f"{float(value):.3f}"


def metrics_html(retriever: str, summary: Mapping[str, float | None], view: View = View()) -> str:
    """Return the metrics of one run as a two-column table (readable label, rounded value) that never wraps inside a number."""
    rows = [f"<tr><td>{view.t('metric_retriever')}</td><td>{text_html(retriever)}</td></tr>"]
    rows += [
        f"<tr><td>{view.t('metric_' + name)}</td><td>{metric_value(name, summary.get(name))}</td></tr>"
        for name in METRIC_ROWS
        if "metric_" + name in MESSAGES
    ]
    header = f"<th>{view.t('metric')}</th><th>{view.t('value')}</th>"
    return f'<table class="qa-metrics"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def plots_html(paths: Sequence[Path]) -> str:
    """Return the report's plots as inline images (data URIs), so no file path is served or shown; missing files are skipped."""
    images = [
        f'<img class="qa-plot" alt="{escape(path.stem)}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode("ascii")}">'
        for path in paths
        if path.is_file()
    ]
    return f'<div class="qa-plots">{"".join(images)}</div>'
