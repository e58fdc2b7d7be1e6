"""Chat rendering: exact HTML of answers, sources and tables; every piece of user text escaped."""

from __future__ import annotations

from qa.answering import TimedAnswer
from qa.answers import Answer, Candidate, Citation
from qa.chat.i18n import ZH
from qa.chat.rendering import (
    View,
    answer_html,
    clarification_html,
    closest_html,
    documents_html,
    failures_html,
    highlight,
    lines_label,
    metrics_html,
    plots_html,
    question_html,
    source_html,
    text_html,
)
from qa.records import Passage, ProvenanceRun, RetrievedPassage

TEXT = "港区A3泊位设计年通过能力169万吨。<script>alert(1)</script>"
PASSAGE = Passage(
    "doc.txt#1.1", "doc.txt", 1, "A3泊位<b>开放</b>", (), TEXT, (ProvenanceRun(0, 20, 3, 0), ProvenanceRun(20, len(TEXT) - 20, 4, 0))
)
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
    alternative = Candidate("168万吨", 0.25, Citation("doc.txt#1.1", "doc.txt", None, 2, 4, 3, 3, "港区A3泊位"))
    fragments = (
        Candidate("。", 0.9, CITATION),
        Candidate("万吨", 0.8, CITATION),
        Candidate("1", 0.7, CITATION),
        Candidate("169万吨", 0.6, CITATION),
    )
    answer = Answer("能力是多少？", "169万吨", 0.61, (CITATION,), (*fragments, alternative), ("doc.txt#1.1",), "A3泊位的能力是多少？")
    html = answer_html(timed(answer))
    assert html.startswith(
        '<div class="qa-answer"><p class="qa-resolved">Understood as: A3泊位的能力是多少？</p>'
        '<p class="qa-reply"><strong class="qa-span">169万吨</strong><sup class="qa-marker">[1]</sup> '
        '<span class="qa-confidence">confidence 0.61</span></p><details class="qa-source" data-source="1">'
    )
    assert (
        '<div class="qa-alternatives"><p>Alternatives:</p><ul><li><details class="qa-source" data-source="2"><summary>'
        '<span class="qa-alternative">168万吨</span><sup class="qa-marker">[2]</sup> <span class="qa-confidence">0.25</span> · '
        'doc.txt · (untitled) · line 3</summary><p class="qa-evidence">Evidence: “港区A3泊位”</p></details></li></ul></div>'
    ) in html
    assert html.endswith('<p class="qa-timing">retrieve 12 ms · read 4 ms</p></div>')
    assert "<script>" not in html and "\n" not in html


def test_chinese_view_shows_display_names_and_chinese_labels():
    view = View(ZH, lambda document: "显示名.txt", lambda passage_id: "显示名.txt#1.1")
    answer = Answer("能力是多少？", "169万吨", 0.61, (CITATION,), (), ("doc.txt#1.1",), "A3泊位的能力是多少？")
    html = answer_html(timed(answer), view)
    assert '<p class="qa-resolved">理解为：A3泊位的能力是多少？</p>' in html
    assert '<span class="qa-confidence">置信度 0.61</span>' in html
    assert "显示名.txt · A3泊位&lt;b&gt;开放&lt;/b&gt; · 第 3 行</summary>" in html
    assert '<p class="qa-evidence">依据：“港区A3泊位设计年通过能力169万吨。”</p><p class="qa-passage-id">显示名.txt#1.1</p>' in html
    assert html.endswith('<p class="qa-timing">检索 12 毫秒 · 阅读 4 毫秒</p></div>')
    assert "doc.txt" not in html


def test_not_found_answer_shows_message_in_question_language_and_closest_passages():
    html = answer_html(timed(Answer("有多少人？", None, 0.1, (), (), ("doc.txt#1.1",))))
    assert '<p class="qa-not-found"><strong>文档中没有找到这个问题的答案。最接近的段落：</strong></p>' in html
    assert f'<div class="qa-closest-list">{closest_html(1, PASSAGE)}</div>' in html
    english = answer_html(timed(Answer("How many?", None, 0.1, (), (), ())))
    assert "The documents do not contain the answer. Closest passages:" in english


def test_closest_passage_is_one_summary_line_with_the_text_inside():
    long = Passage("d#1.1", "d.txt", 1, None, (), "<" * 200, (ProvenanceRun(0, 200, 1, 0),))
    html = closest_html(2, long)
    assert html == (
        '<details class="qa-closest"><summary><span class="qa-marker">[2]</span> d.txt · (untitled) · line 1</summary>'
        '<blockquote class="qa-passage">' + "&lt;" * 200 + "</blockquote></details>"
    )


def test_clarification_in_the_question_language():
    assert clarification_html("它的总投资是多少？", "它") == (
        '<div class="qa-clarify">“它”指的是什么？这是新对话的第一个问题，没有可以参照的上文。'
        "请把问题问完整，例如写出项目或地点的名称。</div>"
    )
    assert clarification_html("What is its height?", "its").startswith('<div class="qa-clarify">What does “its” refer to?')


def test_documents_table():
    assert documents_html([]) == '<p class="qa-documents-empty">No documents are indexed.</p>'
    assert documents_html([("<x>.txt", 3, "uploaded")]) == (
        '<table class="qa-documents"><thead><tr><th>document</th><th>passages</th><th>source</th></tr></thead>'
        "<tbody><tr><td>&lt;x&gt;.txt</td><td>3</td><td>uploaded</td></tr></tbody></table>"
    )
    assert documents_html([("seeds/a.txt", 30, "built-in")], View(ZH)) == (
        '<table class="qa-documents"><thead><tr><th>文档</th><th>段落数</th><th>来源</th></tr></thead>'
        "<tbody><tr><td>seeds/a.txt</td><td>30</td><td>内置</td></tr></tbody></table>"
    )


def test_failures_table():
    assert failures_html([]) == '<p class="qa-no-failures">No failures: every answer matched a reference exactly.</p>'
    html = failures_html([("q1", "<b>?</b>", None, ("a", "b"), 0.0), ("q2", "x", "y", (), 0.5)])
    assert "<tr><td>q1</td><td>&lt;b&gt;?&lt;/b&gt;</td><td>(not found)</td><td>a / b</td><td>0.00</td></tr>" in html
    assert "<tr><td>q2</td><td>x</td><td>y</td><td>(unanswerable)</td><td>0.50</td></tr>" in html


def test_metrics_table_has_readable_labels_and_rounded_values():
    summary = {
        "n": 104,
        "n_answerable": 92,
        "em": 0.8913043,
        "f1": 0.93612,
        "no_answer_accuracy": 0.9166,
        "recall@1": None,
        "latency_p50_ms": 35.44,
    }
    html = metrics_html("hybrid", summary)
    assert html.startswith(
        '<table class="qa-metrics"><thead><tr><th>metric</th><th>value</th></tr></thead><tbody><tr><td>retriever</td><td>hybrid</td></tr>'
    )
    assert "<tr><td>questions</td><td>104</td></tr><tr><td>answerable questions</td><td>92</td></tr>" in html
    assert "<tr><td>exact match (EM)</td><td>0.891</td></tr><tr><td>F1</td><td>0.936</td></tr>" in html
    assert (
        "<tr><td>retrieval recall @1</td><td>–</td></tr>" in html and "<tr><td>time per question, median (ms)</td><td>35</td></tr>" in html
    )
    assert "<td>完全匹配（EM）</td><td>0.891</td>" in metrics_html("hybrid", summary, View(ZH))


def test_plots_are_inline_images_without_paths(tmp_path):
    plot = tmp_path / "calibration.png"
    plot.write_bytes(b"\x89PNG")
    assert (
        plots_html([plot, tmp_path / "missing.png"])
        == '<div class="qa-plots"><img class="qa-plot" alt="calibration" src="data:image/png;base64,iVBORw=="></div>'
    )
