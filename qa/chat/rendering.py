"""HTML of the chat: answers, sources, documents and evaluation failures, every piece of user text escaped.

Pure functions from records to strings. Whatever comes from a document, a question or a dataset
goes through `html.escape`, so a document holding `<script>` shows the tag as text and runs nothing.
Each fragment is one line without blank lines, so the chat's Markdown renderer passes it through as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from qa.answering import TimedAnswer
from qa.answers import Candidate, Citation
from qa.commands.ask import not_found_message
from qa.records import Passage

CLOSEST_SHOWN = 3
PREVIEW_CHARS = 160


def text_html(text: str) -> str:
    """Return the text escaped, line breaks as <br> (so no blank line ends the HTML block)."""
    return escape(text).replace("\r", "").replace("\n", "<br>")


def highlight(text: str, start: int, end: int) -> str:
    """Return the escaped text with characters [start, end) wrapped in <mark>."""
    return f"{text_html(text[:start])}<mark>{text_html(text[start:end])}</mark>{text_html(text[end:])}"


def question_html(question: str) -> str:
    """Return a user's question as an escaped chat message."""
    return f'<div class="qa-question">{text_html(question)}</div>'


def lines_label(line_start: int, line_end: int) -> str:
    """Return 'line N' or 'lines N–M'."""
    return f"line {line_start}" if line_start == line_end else f"lines {line_start}–{line_end}"


def source_label(document: str, title: str | None, line_start: int, line_end: int) -> str:
    """Return 'document · title · lines' as escaped text."""
    return f"{text_html(document)} · {text_html(title or '(untitled)')} · {lines_label(line_start, line_end)}"


def source_html(number: int, citation: Citation, passage: Passage | None) -> str:
    """Return a collapsible source: marker, document, title and lines; the passage with the span highlighted; the evidence."""
    if passage is not None and passage.id == citation.passage_id:
        body = f'<blockquote class="qa-passage">{highlight(passage.text, citation.start, citation.end)}</blockquote>'
    else:
        body = ""
    return (
        f'<details class="qa-source" data-source="{number}"><summary><span class="qa-marker">[{number}]</span> '
        f"{source_label(citation.document, citation.title, citation.line_start, citation.line_end)}</summary>"
        f'{body}<p class="qa-evidence">Evidence: “{text_html(citation.evidence)}”</p>'
        f'<p class="qa-passage-id">{text_html(citation.passage_id)}</p></details>'
    )


def answer_html(timed: TimedAnswer) -> str:
    """Return the chat message of an answer: the span in bold with its marker, sources, alternatives, timings.

    An abstention shows 'not found' in the question's language and the closest passages instead.
    """
    answer = timed.answer
    passages = {result.passage.id: result.passage for result in timed.passages}
    parts = ['<div class="qa-answer">']
    if answer.resolved_question:
        parts.append(f'<p class="qa-resolved">Understood as: {text_html(answer.resolved_question)}</p>')
    if answer.text is None:
        parts.append(f'<p class="qa-not-found"><strong>{text_html(not_found_message(answer.question))}</strong></p>')
        parts.extend(closest_html(number, result.passage) for number, result in enumerate(timed.passages[:CLOSEST_SHOWN], start=1))
    else:
        markers = "".join(f'<sup class="qa-marker">[{number}]</sup>' for number in range(1, len(answer.citations) + 1))
        parts.append(
            f'<p class="qa-reply"><strong class="qa-span">{text_html(answer.text)}</strong>{markers} '
            f'<span class="qa-confidence">confidence {answer.score:.2f}</span></p>'
        )
        parts.extend(source_html(number, citation, passages.get(citation.passage_id)) for number, citation in enumerate(answer.citations, start=1))
        if answer.alternatives:
            parts.append(alternatives_html(answer.alternatives, len(answer.citations) + 1, passages))
    parts.append(f'<p class="qa-timing">retrieve {timed.retrieve_ms:.0f} ms · read {timed.read_ms:.0f} ms</p></div>')
    return "".join(parts)


def alternatives_html(alternatives: Sequence[Candidate], first_number: int, passages: dict[str, Passage]) -> str:
    """Return the alternatives, each with its confidence, citation marker and collapsible source."""
    items = []
    for number, candidate in enumerate(alternatives, start=first_number):
        items.append(
            f'<li><span class="qa-alternative">{text_html(candidate.text)}</span><sup class="qa-marker">[{number}]</sup> '
            f'<span class="qa-confidence">{candidate.score:.2f}</span>'
            f"{source_html(number, candidate.citation, passages.get(candidate.citation.passage_id))}</li>"
        )
    return f'<div class="qa-alternatives"><p>Alternatives:</p><ul>{"".join(items)}</ul></div>'


def closest_html(number: int, passage: Passage) -> str:
    """Return a collapsible closest passage (for a 'not found' answer): document, title, lines and its text."""
    preview = passage.text[:PREVIEW_CHARS] + ("…" if len(passage.text) > PREVIEW_CHARS else "")
    return (
        f'<details class="qa-closest"><summary><span class="qa-marker">[{number}]</span> '
        f"{source_label(passage.document, passage.title, passage.line_start, passage.line_end)} — {text_html(preview)}</summary>"
        f'<blockquote class="qa-passage">{text_html(passage.text)}</blockquote></details>'
    )


def error_html(message: str) -> str:
    """Return a one-line error as a chat message."""
    return f'<div class="qa-error">{text_html(message)}</div>'


def documents_html(documents: Sequence[tuple[str, int, str]]) -> str:
    """Return the table of indexed documents from (name, passage count, origin) rows."""
    if not documents:
        return '<p class="qa-documents-empty">No documents are indexed.</p>'
    rows = "".join(f"<tr><td>{text_html(name)}</td><td>{count}</td><td>{text_html(origin)}</td></tr>" for name, count, origin in documents)
    return f'<table class="qa-documents"><thead><tr><th>document</th><th>passages</th><th>source</th></tr></thead><tbody>{rows}</tbody></table>'


def failures_html(rows: Sequence[tuple[str, str, str | None, Sequence[str], float]]) -> str:
    """Return the table of worst answers from (id, question, answer or None, references, F1) rows."""
    if not rows:
        return '<p class="qa-no-failures">No failures: every answer matched a reference exactly.</p>'
    body = "".join(
        f"<tr><td>{text_html(row_id)}</td><td>{text_html(question)}</td><td>{text_html(answer) if answer is not None else '(not found)'}</td>"
        f"<td>{text_html(' / '.join(references)) if references else '(unanswerable)'}</td><td>{f1:.2f}</td></tr>"
        for row_id, question, answer, references, f1 in rows
    )
    return f'<table class="qa-failures"><thead><tr><th>id</th><th>question</th><th>answer</th><th>references</th><th>F1</th></tr></thead><tbody>{body}</tbody></table>'
