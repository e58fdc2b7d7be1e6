"""Tests for qa.ingest.decode and qa.ingest.loaders: encodings, file types, positions and error messages."""

from __future__ import annotations

import codecs
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from fpdf import FPDF

from qa.errors import IngestError
from qa.ingest.decode import decode_bytes
from qa.ingest.loaders import SUPPORTED_SUFFIXES, iter_document_paths, load_document
from qa.ingest.source import SourceDocument

SIMPLIFIED = "平湖市国际电子商务产业园是平湖市政府唯一授牌的国际电子商务产业园。"
TRADITIONAL = "臺灣大學圖書館的藏書非常豐富，開放時間為每天早上八點至晚上十點。"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def texts(document: SourceDocument) -> list[str]:
    return [line.text for line in document.lines]


def ingest_error(path: Path) -> IngestError:
    with pytest.raises(IngestError) as caught:
        load_document(path)
    assert caught.value.path == str(path)
    return caught.value


def assert_plain_positions(document: SourceDocument, source: str) -> None:
    """Every character sits at its own (line, column) in `source`, split on any line break."""
    source_lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in document.lines:
        for char, (number, column) in zip(line.text, line.positions, strict=True):
            assert source_lines[number - 1][column] == char


# --- encodings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (SIMPLIFIED, "gbk"),
        ("今天天气很好，我们一起去公园散步。", "gbk"),  # 17 characters
        ("刘䶮建立南汉，𠮷野家的“吉”字写法不同。", "gb18030"),  # 䶮 and 𠮷 are not in GBK
        (TRADITIONAL, "big5"),
        ("國立故宮博物院典藏豐富的中華文物。", "big5"),  # 17 characters
        ("东经120.5度赤道", "gb18030"),  # all common read either way: charset-normalizer breaks the tie
    ],
    ids=["gbk", "gbk-short", "gb18030-only", "big5", "big5-short", "gb-big5-tie"],
)
def test_chinese_legacy_encodings_decode_exactly(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), "doc.txt") == text


def test_gb18030_seed_decodes_exactly() -> None:
    seed = Path(__file__).resolve().parents[1] / "seeds" / "000_855235c3d5b4990d.txt"
    if not seed.exists():
        pytest.skip("seed file not present")
    text = seed.read_text(encoding="utf-8")
    assert decode_bytes(text.encode("gb18030"), "seed.txt") == text.replace("\r\n", "\n")


def test_gbk_file_lines_and_positions(tmp_path: Path) -> None:
    source = f"第一行\n\n{SIMPLIFIED}\n"
    document = load_document(write(tmp_path / "gbk.txt", source.encode("gbk")))
    assert document.format == "txt"
    assert document.path == str(tmp_path / "gbk.txt")
    assert texts(document) == ["第一行", "", SIMPLIFIED]
    assert document.lines[1].positions == ()
    assert document.lines[2].positions[:3] == ((3, 0), (3, 1), (3, 2))
    assert_plain_positions(document, source)


def test_gb18030_file_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    source = "标题\r\n𠮷野家和刘䶮，都在这里。\r\n"
    document = load_document(write(tmp_path / "gb18030.txt", source.encode("gb18030")))
    assert texts(document) == ["标题", "𠮷野家和刘䶮，都在这里。"]
    assert document.lines[1].positions[:2] == ((2, 0), (2, 1))  # 𠮷 is 4 bytes in GB18030, one character
    assert document.lines[1].positions[5] == (2, 5)
    assert_plain_positions(document, source)


def test_big5_file_lines_and_positions(tmp_path: Path) -> None:
    source = f"標題\n{TRADITIONAL}"
    document = load_document(write(tmp_path / "big5.txt", source.encode("big5")))
    assert texts(document) == ["標題", TRADITIONAL]
    assert document.lines[1].positions[-1] == (2, len(TRADITIONAL) - 1)
    assert_plain_positions(document, source)


def test_utf8_with_bom_drops_the_bom_from_text_and_columns(tmp_path: Path) -> None:
    document = load_document(write(tmp_path / "bom.txt", codecs.BOM_UTF8 + "中文 text\n第二行".encode()))
    assert texts(document) == ["中文 text", "第二行"]
    assert document.lines[0].positions[0] == (1, 0)
    assert document.lines[1].positions == ((2, 0), (2, 1), (2, 2))


def test_utf8_without_bom(tmp_path: Path) -> None:
    source = "Ünïcode 中文\n  indented line  \n"
    document = load_document(write(tmp_path / "plain.TXT", source.encode()))
    assert texts(document) == ["Ünïcode 中文", "  indented line  "]  # kept unchanged, not stripped
    assert_plain_positions(document, source)


def test_utf16_with_bom() -> None:
    assert decode_bytes("中文\r\nabc".encode("utf-16"), "u16.txt") == "中文\nabc"


def test_crlf_and_lone_cr_count_as_one_line_break_each(tmp_path: Path) -> None:
    source = "第一行\r\n第二行\r\n\r\nfourth\rfifth\r\n"
    assert decode_bytes(source.encode("gb18030"), "crlf.txt") == "第一行\n第二行\n\nfourth\nfifth\n"
    document = load_document(write(tmp_path / "crlf.txt", source.encode()))
    assert texts(document) == ["第一行", "第二行", "", "fourth", "fifth"]
    assert [line.positions[0] for line in document.lines if line.text] == [(1, 0), (2, 0), (4, 0), (5, 0)]
    assert document.lines[4].positions[-1] == (5, 4)
    assert_plain_positions(document, source)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.", "euc_kr"),
        ("Où est la bibliothèque? Ça dépend de la météo: très variable, élève.", "latin-1"),
        ("Съешь же ещё этих мягких французских булок, да выпей чаю.", "cp1251"),
        ("吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗い所で泣いていた。", "euc_jp"),
    ],
    ids=["korean-euc-kr", "french-latin1", "russian-cp1251", "japanese-euc-jp"],
)
def test_unsupported_encodings_are_refused_not_garbled(text: str, encoding: str) -> None:
    with pytest.raises(IngestError) as caught:
        decode_bytes(text.encode(encoding), "other.txt")
    assert caught.value.reason == "cannot detect the text encoding; save it as UTF-8"
    assert str(caught.value) == "other.txt: cannot detect the text encoding; save it as UTF-8"


def test_invalid_utf8_without_chinese_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        decode_bytes(b"plain ascii then a stray byte \xff\xfe here", "bad.txt")
    assert caught.value.reason == "cannot detect the text encoding; save it as UTF-8"


def test_binary_content_named_txt_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    assert ingest_error(write(tmp_path / "image.txt", png)).reason == "looks like a binary file, not text"


def test_control_bytes_without_nul_are_binary() -> None:
    with pytest.raises(IngestError) as caught:
        decode_bytes(bytes(range(1, 32)) * 4 + b"text", "ctl.txt")
    assert caught.value.reason == "looks like a binary file, not text"


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", codecs.BOM_UTF8, "\u3000\n".encode()])
def test_empty_or_whitespace_file_is_refused(tmp_path: Path, data: bytes) -> None:
    assert ingest_error(write(tmp_path / "empty.txt", data)).reason == "is empty"


# --- file problems -----------------------------------------------------------------------------------------


def test_unsupported_extension(tmp_path: Path) -> None:
    error = ingest_error(write(tmp_path / "sheet.xyz", b"a,b"))
    assert error.reason == "unsupported file type '.xyz' (supported: .txt, .md, .html, .htm, .pdf, .docx)"
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


def test_missing_file(tmp_path: Path) -> None:
    assert ingest_error(tmp_path / "nope.txt").reason == "does not exist"


def test_folder_passed_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").mkdir()
    assert ingest_error(tmp_path / "notes.txt").reason == "is a folder, not a file"


def test_file_name_too_long(tmp_path: Path) -> None:
    assert ingest_error(tmp_path / ("x" * 300 + ".txt")).reason == "cannot be read: File name too long"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", b"hidden")
    path.chmod(0)
    try:
        assert ingest_error(path).reason == "cannot be read: permission denied"
    finally:
        path.chmod(0o600)


# --- markdown ----------------------------------------------------------------------------------------------


def test_markdown_headings(tmp_path: Path) -> None:
    source = "# 第一章 概述 #\n\n正文第一段。\n  ## Sub  \n```\n# not a heading\n```\n#hashtag\n### ###\n"
    document = load_document(write(tmp_path / "doc.md", source.encode()))
    assert document.format == "md"
    assert [(line.text, line.heading) for line in document.lines] == [
        ("第一章 概述", True),
        ("", False),
        ("正文第一段。", False),
        ("Sub", True),
        ("```", False),
        ("# not a heading", False),
        ("```", False),
        ("#hashtag", False),
        ("", False),  # a heading with an empty title
    ]
    assert document.lines[0].positions == ((1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7))
    assert document.lines[3].positions == ((4, 5), (4, 6), (4, 7))
    assert_plain_positions(document, source)


# --- html --------------------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>Ignored title</title><style>p { color: red; }</style></head>
<body>
<h1>标题 &amp; 副标题</h1>
<p>第一段  &#x4E2D;文
  继续。<script>var s = "<p>hidden</p>";</script>结束&#20013;</p>
<h4>Minor</h4>
<ul><li>甲</li><li>乙<br>丙</li></ul>
<table><tr><td>a</td><td>b</td></tr></table>
<noscript>no script</noscript><p>A &lt; B &bogus; end</p>
</body></html>
"""


def test_html_text_blocks_and_headings(tmp_path: Path) -> None:
    document = load_document(write(tmp_path / "page.htm", HTML.encode()))
    assert document.format == "html"
    assert [(line.text, line.heading) for line in document.lines] == [
        ("标题 & 副标题", True),
        ("", False),
        ("第一段 中文 继续。结束中", False),
        ("", False),
        ("Minor", False),
        ("", False),
        ("甲", False),
        ("乙", False),
        ("丙", False),
        ("", False),
        ("a b", False),
        ("", False),
        ("A < B &bogus end", False),
    ]


def test_html_positions_point_at_the_source(tmp_path: Path) -> None:
    document = load_document(write(tmp_path / "page.html", HTML.encode()))
    source_lines = [line + "\n" for line in HTML.split("\n")]
    heading, _, paragraph = document.lines[:3]
    assert heading.positions == ((4, 4), (4, 5), (4, 6), (4, 7), (4, 12), (4, 13), (4, 14), (4, 15))
    assert source_lines[4 - 1][7:12] == "&amp;"  # "&" sits where its entity starts
    assert paragraph.positions[4] == (5, 8)  # 中 from &#x4E2D;
    assert source_lines[5 - 1][8:16] == "&#x4E2D;"
    assert paragraph.positions[6] == (5, 17)  # the collapsed "\n  " is one space at the line break
    assert paragraph.positions[7] == (6, 2)  # 继
    assert paragraph.positions[-1] == (6, 48)  # 中 from &#20013;
    assert source_lines[6 - 1][48:56] == "&#20013;"
    for line in document.lines:
        for char, (number, column) in zip(line.text, line.positions, strict=True):
            found = source_lines[number - 1][column:]
            reference = re.match(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);", found)
            if reference and html.unescape(reference.group()) != reference.group():
                assert html.unescape(reference.group()) == char
            elif char == " ":
                assert found[0] in " \t\n<"  # collapsed whitespace, or the tag between two table cells
            else:
                assert found[0] == char


def test_html_in_gbk_with_meta_charset(tmp_path: Path) -> None:
    source = f'<html><head><meta charset="gbk"></head><body><p>{SIMPLIFIED}</p></body></html>'
    document = load_document(write(tmp_path / "gbk.html", source.encode("gbk")))
    assert texts(document) == [SIMPLIFIED]
    assert document.lines[0].positions[0] == (1, source.index(SIMPLIFIED))


def test_html_head_without_end_tag_ends_at_body(tmp_path: Path) -> None:
    source = "<html><head><title>Skipped</title>\n<body><p>Shown</p></body></html>"
    document = load_document(write(tmp_path / "nohead.html", source.encode()))
    assert texts(document) == ["Shown"]
    assert document.lines[0].positions[0] == (2, 9)


def test_html_without_visible_text(tmp_path: Path) -> None:
    source = b"<html><head><title>t</title></head><body><script>x</script></body></html>"
    path = write(tmp_path / "blank.html", source)
    assert ingest_error(path).reason == "has no text"


# --- docx --------------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_headings(tmp_path: Path) -> None:
    doc = Document()
    doc.add_heading("总览", level=0)  # Title style
    doc.add_heading("第一节", level=1)
    doc.add_paragraph("第一段正文。")
    doc.add_paragraph("")
    soft = doc.add_paragraph("上半句")
    soft.add_run().add_break()
    soft.add_run("下半句")
    doc.add_paragraph("Last paragraph.")
    path = tmp_path / "report.docx"
    doc.save(str(path))

    document = load_document(path)
    assert document.format == "docx"
    assert [(line.text, line.heading) for line in document.lines] == [
        ("总览", True),
        ("", False),
        ("第一节", True),
        ("", False),
        ("第一段正文。", False),
        ("", False),
        ("上半句", False),
        ("下半句", False),
        ("", False),
        ("Last paragraph.", False),
    ]
    assert document.lines[0].positions == ((1, 0), (1, 1))
    assert document.lines[2].positions == ((2, 0), (2, 1), (2, 2))
    assert document.lines[6].positions == ((5, 0), (5, 1), (5, 2))  # paragraph 4 is the empty one
    assert document.lines[7].positions == ((5, 4), (5, 5), (5, 6))  # column 3 is the soft line break
    assert document.lines[9].positions[0] == (6, 0)


def test_corrupt_docx(tmp_path: Path) -> None:
    error = ingest_error(write(tmp_path / "broken.docx", b"this is not a zip archive"))
    assert error.reason == "is not a valid .docx (File is not a zip file)"


# --- pdf ---------------------------------------------------------------------------------------------------


def pdf_bytes(pages: list[list[str]], font: tuple[str, str | None] = ("helvetica", None)) -> bytes:
    pdf = FPDF()
    family, font_file = font
    if font_file is not None:
        pdf.add_font(family, fname=font_file)
    for lines in pages:
        pdf.add_page()
        pdf.set_font(family, size=12)
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_pdf_lines_numbered_through_pages(tmp_path: Path) -> None:
    path = write(tmp_path / "paper.pdf", pdf_bytes([["First line of text.", "Second line."], ["Page two."]]))
    document = load_document(path)
    assert document.format == "pdf"
    assert texts(document) == ["First line of text.", "Second line.", "Page two."]
    assert document.lines[1].positions[0] == (2, 0)
    assert document.lines[2].positions == tuple((3, column) for column in range(9))


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 80, 40)
    error = ingest_error(write(tmp_path / "scan.pdf", bytes(pdf.output())))
    assert error.reason == "PDF has no text layer (scanned image?); run OCR first"


def test_corrupt_pdf(tmp_path: Path) -> None:
    error = ingest_error(write(tmp_path / "broken.pdf", bytes(range(256)) * 8))
    # the part in parentheses is pypdf's own message, which may change between pypdf versions
    assert error.reason.startswith("is not a valid PDF (") and error.reason.endswith(")")


def test_password_protected_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Confidential")
    error = ingest_error(write(tmp_path / "locked.pdf", bytes(pdf.output())))
    assert error.reason == "PDF is password-protected; remove the password and try again"


def chinese_font() -> str | None:
    if shutil.which("fc-list") is None:
        return None
    command = ["fc-list", ":lang=zh", "file"]
    listing = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    files = sorted(line.strip().rstrip(":") for line in listing.splitlines() if line.strip())
    usable = [name for name in files if name.lower().endswith((".ttf", ".ttc", ".otf"))]
    return usable[0] if usable else None


def test_chinese_pdf(tmp_path: Path) -> None:
    font = chinese_font()
    if font is None:
        pytest.skip("no CJK font found by `fc-list :lang=zh` (install fonts-wqy-microhei to run this test)")
    lines = ["平湖市国际电子商务产业园", "成功上榜，获评省级示范基地。"]
    document = load_document(write(tmp_path / "中文.pdf", pdf_bytes([lines], ("cjk", font))))
    assert texts(document) == lines
    assert document.lines[1].positions[-1] == (2, 13)


# --- iter_document_paths -----------------------------------------------------------------------------------


def test_iter_document_paths(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / ".git").mkdir()
    for name in ["b.txt", "a.MD", "sub/c.html", "sub/d.pdf", "image.png", ".hidden.txt", ".git/e.txt"]:
        (corpus / name).write_bytes(b"x")
    single = write(tmp_path / "single.docx", b"x")
    other = write(tmp_path / "notes.xyz", b"x")

    pairs = iter_document_paths([corpus, single, other, corpus / "b.txt"])
    assert pairs == [
        (corpus, corpus / "a.MD"),
        (corpus, corpus / "b.txt"),
        (corpus, corpus / "image.png"),  # listed so that load_document reports it as unsupported
        (corpus, corpus / "sub" / "c.html"),
        (corpus, corpus / "sub" / "d.pdf"),
        (tmp_path, single),
        (tmp_path, other),  # named explicitly: load_document will say it is unsupported
    ]


def test_iter_document_paths_missing(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        iter_document_paths([tmp_path / "missing"])
    assert caught.value.reason == "does not exist"
    assert caught.value.path == str(tmp_path / "missing")
