"""Chat rendering: exact HTML of answers, sources and tables; every piece of user text escaped."""

from __future__ import annotations

from qa.answering import TimedAnswer
from qa.answers import Answer, Candidate, Citation
from qa.chat.rendering import (
    answer_html,
    closest_html,
    documents_html,
    failures_html,
    highlight,
    lines_label,
    question_html,
    source_html,
    text_html,
)
from qa.records import Passage, ProvenanceRun
from qa.retrieval.retriever import RetrievedPassage

TEXT = "港区A3泊位设计年通过能力169万吨。<script>alert(1)</script>"
PASSAGE = Passage("doc.txt#1.1", "doc.txt", 1, "A3泊位<b>开放</b>", (), TEXT, (ProvenanceRun(0, 20, 3, 0), ProvenanceRun(20, len(TEXT) - 20, 4, 0)))
CITATION = Citation("doc.txt#1.1", "doc.txt", "A3泊位<b>开放</b>", 13, 18, 3, 3, "港区A3泊位设计年通过能力169万吨。")


def timed(answer: Answer) -> TimedAnswer:
    return TimedAnswer(answer, (RetrievedPassage(PASSAGE, 0.9, 1),), 12.4, 3.6)


def test_text_is_escaped_and_line_breaks_become_br():
    assert text_html('<img src=x onerror="a()">\n&') == "&lt;img src=x onerror=&quot;a()&quot;&gt;<br>&amp;"


def test_highlight_marks_the_span_and_escapes_around_it():
    assert highlight("a<b>c", 1, 4) == "a<mark>&lt;b&gt;</mark>c"
    assert highlight(TEXT, 13, 18) == "港区A3泊位设计年通过能力<mark>169万吨</mark>。&lt;script&gt;alert(1)&lt;/script&gt;"


def test_question_is_escaped():
    assert question_html("<script>x</script>？") == '<div class="qa-question">&lt;script&gt;x&lt;/script&gt;？</div>'


def test_lines_label():
    assert lines_label(3, 3) == "line 3"
    assert lines_label(3, 5) == "lines 3–5"


def test_source_shows_document_title_lines_passage_with_span_and_evidence():
    assert source_html(1, CITATION, PASSAGE) == (
        '<details class="qa-source" data-source="1"><summary><span class="qa-marker">[1]</span> '
        "doc.txt · A3泊位&lt;b&gt;开放&lt;/b&gt; · line 3</summary>"
        '<blockquote class="qa-passage">港区A3泊位设计年通过能力<mark>169万吨</mark>。&lt;script&gt;alert(1)&lt;/script&gt;</blockquote>'
        '<p class="qa-evidence">Evidence: “港区A3泊位设计年通过能力169万吨。”</p>'
        '<p class="qa-passage-id">doc.txt#1.1</p></details>'
    )


def test_answer_shows_bold_span_marker_confidence_source_alternatives_and_timing():
    alternative = Candidate("A3", 0.25, Citation("doc.txt#1.1", "doc.txt", None, 2, 4, 3, 3, "港区A3泊位"))
    answer = Answer("能力是多少？", "169万吨", 0.61, (CITATION,), (alternative,), ("doc.txt#1.1",), "A3泊位的能力是多少？")
    html = answer_html(timed(answer))
    assert html.startswith(
        '<div class="qa-answer"><p class="qa-resolved">Understood as: A3泊位的能力是多少？</p>'
        '<p class="qa-reply"><strong class="qa-span">169万吨</strong><sup class="qa-marker">[1]</sup> '
        '<span class="qa-confidence">confidence 0.61</span></p><details class="qa-source" data-source="1">'
    )
    assert (
        '<div class="qa-alternatives"><p>Alternatives:</p><ul><li><span class="qa-alternative">A3</span>'
        '<sup class="qa-marker">[2]</sup> <span class="qa-confidence">0.25</span>'
        '<details class="qa-source" data-source="2"><summary><span class="qa-marker">[2]</span> doc.txt · (untitled) · line 3</summary>'
        '<blockquote class="qa-passage">港区<mark>A3</mark>泊位'
    ) in html
    assert html.endswith('<p class="qa-timing">retrieve 12 ms · read 4 ms</p></div>')
    assert "<script>" not in html and "\n" not in html


def test_not_found_answer_shows_message_in_question_language_and_closest_passages():
    html = answer_html(timed(Answer("有多少人？", None, 0.1, (), (), ("doc.txt#1.1",))))
    assert '<p class="qa-not-found"><strong>文档中没有找到这个问题的答案。最接近的段落：</strong></p>' in html
    assert closest_html(1, PASSAGE) in html
    english = answer_html(timed(Answer("How many?", None, 0.1, (), (), ())))
    assert "The documents do not contain the answer. Closest passages:" in english


def test_closest_passage_preview_is_cut_and_escaped():
    long = Passage("d#1.1", "d.txt", 1, None, (), "<" * 200, (ProvenanceRun(0, 200, 1, 0),))
    html = closest_html(2, long)
    assert html.startswith('<details class="qa-closest"><summary><span class="qa-marker">[2]</span> d.txt · (untitled) · line 1 — ' + "&lt;" * 160 + "…</summary>")
    assert "<<" not in html


def test_documents_table():
    assert documents_html([]) == '<p class="qa-documents-empty">No documents are indexed.</p>'
    assert documents_html([("<x>.txt", 3, "uploaded")]) == (
        '<table class="qa-documents"><thead><tr><th>document</th><th>passages</th><th>source</th></tr></thead>'
        "<tbody><tr><td>&lt;x&gt;.txt</td><td>3</td><td>uploaded</td></tr></tbody></table>"
    )


def test_failures_table():
    assert failures_html([]) == '<p class="qa-no-failures">No failures: every answer matched a reference exactly.</p>'
    html = failures_html([("q1", "<b>?</b>", None, ("a", "b"), 0.0), ("q2", "x", "y", (), 0.5)])
    assert "<tr><td>q1</td><td>&lt;b&gt;?&lt;/b&gt;</td><td>(not found)</td><td>a / b</td><td>0.00</td></tr>" in html
    assert "<tr><td>q2</td><td>x</td><td>y</td><td>(unanswerable)</td><td>0.50</td></tr>" in html
