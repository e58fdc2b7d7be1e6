"""Read documents from disk into SourceDocuments, one loader per file type.

Positions are (line, column) in the original file: line from 1, column from 0 in characters of the decoded
text, a "\\r\\n" counting as one line break. For formats without source lines:

- .pdf: the text layer that pypdf extracts, page 1 first, pages joined by one line break; lines are
  numbered consecutively through that text and columns count characters of the extracted line.
- .docx: line i is body paragraph i (counting every body paragraph, empty ones too, but not the
  paragraphs inside tables); columns count characters of the paragraph's text, in which a soft line
  break is one character.

Blank lines separate paragraphs, as in plain text: .txt and .md keep their blank lines as empty
SourceLines, and .html, .docx give exactly one empty SourceLine between paragraph-level blocks.
"""

from __future__ import annotations

import errno
import html
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

from docx import Document
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from qa.errors import IngestError
from qa.ingest.decode import decode_bytes
from qa.ingest.limits import DEFAULT_LIMITS, IngestLimits, check_characters, check_pages, check_unpacked_size
from qa.ingest.source import Position, SourceDocument, SourceLine, plain_line

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
"""File name endings load_document reads (compared case-insensitively)."""

_ATX_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSING = re.compile(r"(?:^|[ \t])#+$")
_CODE_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")

_HTML_SKIPPED = frozenset({"head", "title", "script", "style", "noscript", "template"})
_HTML_HEADINGS = frozenset({"h1", "h2", "h3"})
_HTML_PARAGRAPHS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "details", "dialog", "div",
        "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "legend", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "ul",
    }
)  # fmt: skip
_HTML_LINES = frozenset({"br", "dd", "dt", "li", "option", "tbody", "tfoot", "thead", "tr"})
_HTML_CELLS = frozenset({"td", "th"})
_HTML_WHITESPACE = " \t\n\r\f"


def load_document(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> SourceDocument:
    """Return the document at `path` as lines with source positions; raise IngestError if it can't be read or is over the limits."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        raise IngestError(name, f"unsupported file type {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    data = _read_bytes(path)
    file_format, load = _LOADERS[suffix]
    lines = load(data, name, limits)
    if not any(line.text.strip() for line in lines):
        if file_format == "pdf":
            raise IngestError(name, "PDF has no text layer (scanned image?); run OCR first")
        raise IngestError(name, "has no text")
    return SourceDocument(name, file_format, tuple(lines))


def iter_document_paths(paths: Sequence[Path]) -> list[tuple[Path, Path]]:
    """Return (root, file) pairs for the given files and folders, each file once, in the given order.

    A file stands for itself, with its folder as root, whatever its type. A folder stands for the files
    found under it recursively, in sorted order and skipping hidden files and folders (names starting
    with "."), with the folder itself as root; files of unsupported types are listed too, so that
    `load_document` reports each one instead of leaving it out silently.
    """
    pairs: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = [(path, file) for file in _files_under(path)]
        elif path.is_file():
            found = [(path.parent, path)]
        elif path.exists():
            raise IngestError(str(path), "is not a regular file or folder")
        elif path.is_symlink():
            raise IngestError(str(path), "is a symbolic link to nothing, or back to itself (a link loop); fix or remove the link")
        else:
            raise IngestError(str(path), "does not exist")
        for root, file in found:
            if resolved_path(file) not in seen:
                seen.add(resolved_path(file))
                pairs.append((root, file))
    return pairs


def resolved_path(path: Path) -> Path:
    """Return the path with symbolic links resolved; a link loop stays as its absolute path (reading it then fails)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 reports a symlink loop as RuntimeError, 3.13 as OSError
        return Path(os.path.abspath(path))


def _files_under(folder: Path) -> list[Path]:
    """Return the non-hidden files under `folder`, recursively, sorted."""
    files: list[Path] = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        files.extend(Path(directory, name) for name in names if not name.startswith("."))
    return sorted(files)


def _read_bytes(path: Path) -> bytes:
    """Return the contents of `path`; raise IngestError saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IngestError(str(path), "does not exist") from None
    except IsADirectoryError:
        raise IngestError(str(path), "is a folder, not a file") from None
    except PermissionError:
        raise IngestError(str(path), "cannot be read: permission denied") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise IngestError(str(path), "is a symbolic link that leads back to itself (a link loop); fix or remove the link") from None
        raise IngestError(str(path), f"cannot be read: {error.strerror or error}") from None


def _decoded(data: bytes, path: str, limits: IngestLimits) -> str:
    """Return the text of a text file's bytes, refused when it has more characters than the limits allow."""
    check_characters(len(data) // 4, path, limits)  # UTF-8 takes at most 4 bytes a character: refuse before decoding
    text = decode_bytes(data, path)
    check_characters(len(text), path, limits)
    return text


def _text_lines(data: bytes, path: str, limits: IngestLimits) -> list[SourceLine]:
    """Return every line of a plain-text file unchanged, blank lines included."""
    return [plain_line(text, number) for number, text in enumerate(_split_lines(_decoded(data, path, limits)), 1)]


def _markdown_lines(data: bytes, path: str, limits: IngestLimits) -> list[SourceLine]:
    """Return the lines of a Markdown file, ATX headings ("# Title") as heading lines without their marks.

    Lines inside fenced code blocks are never headings; all other lines are kept unchanged.
    """
    lines = []
    fence = None  # the marks that opened the fenced code block we are in, if any
    for number, text in enumerate(_split_lines(_decoded(data, path, limits)), 1):
        fence_match = _CODE_FENCE.match(text)
        if fence is None and fence_match:
            fence = fence_match.group(1)
        elif fence is not None:
            if fence_match and _closes_fence(fence, fence_match.group(1), text[fence_match.end() :]):
                fence = None
        elif heading_match := _ATX_HEADING.match(text):
            lines.append(_heading_line(text, heading_match.end(), number))
            continue
        lines.append(plain_line(text, number))
    return lines


def _closes_fence(fence: str, marks: str, rest: str) -> bool:
    """Return whether a line of `marks` followed by `rest` closes a code block opened by `fence`."""
    return marks[0] == fence[0] and len(marks) >= len(fence) and not rest.strip()


def _heading_line(text: str, start: int, number: int) -> SourceLine:
    """Return the title of an ATX heading line that may begin at `start` (an empty title: a blank line)."""
    title = text[start:].rstrip(" \t")
    closing = _ATX_CLOSING.search(title)
    if closing:
        title = title[: closing.start()].rstrip(" \t")
    positions = tuple((number, column) for column in range(start, start + len(title)))
    return SourceLine(title, positions, heading=bool(title))


def _split_lines(text: str) -> list[str]:
    """Return the lines of newline-normalized `text`; a final line break does not start another line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _html_lines(data: bytes, path: str, limits: IngestLimits) -> list[SourceLine]:
    """Return the visible text of an HTML file, one line per block, headings h1-h3 as heading lines."""
    parser = _HtmlText()
    parser.feed(_decoded(data, path, limits))
    parser.close()
    return parser.lines


class _HtmlText(HTMLParser):
    """Collects the visible text of an HTML document with the source position of every character."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.lines: list[SourceLine] = []
        self._chars: list[str] = []
        self._positions: list[Position] = []
        self._space: Position | None = None  # where a run of whitespace started, if one is pending
        self._paragraph_break = False
        self._skipped: list[str] = []  # open elements whose content is not shown
        self._headings = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element: note skipped content, end the line at block starts."""
        if tag == "body":  # the head ends here even when its end tag was left out
            self._skipped = [name for name in self._skipped if name != "head"]
        if tag in _HTML_SKIPPED:
            self._skipped.append(tag)
        elif not self._skipped:
            self._boundary(tag)
            if tag in _HTML_HEADINGS:
                self._headings += 1
            if tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        """Close an element: end the line at block ends."""
        if tag in _HTML_SKIPPED:
            if tag in self._skipped:  # close it and anything left open inside it
                while self._skipped.pop() != tag:
                    pass
        elif not self._skipped:
            self._boundary(tag)
            if tag in _HTML_HEADINGS and self._headings:
                self._headings -= 1
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        """Add text, each character at the line and column where it stands in the source."""
        if self._skipped:
            return
        line, column = self.getpos()
        for char in data:
            self._add(char, (line, column))
            if char == "\n":
                line, column = line + 1, 0
            else:
                column += 1

    def handle_entityref(self, name: str) -> None:
        """Add the character(s) of a named reference, all at the position of its "&"."""
        text = html.unescape(f"&{name};")
        if text == f"&{name};":  # not an entity: the source text stands for itself
            self.handle_data(f"&{name}")
        else:
            self._add_reference(text)

    def handle_charref(self, name: str) -> None:
        """Add the character of a numeric reference ("&#20013;", "&#x4E2D;") at the position of its "&"."""
        self._add_reference(html.unescape(f"&#{name};"))

    def close(self) -> None:
        """Finish parsing and end the last line."""
        super().close()
        self._end_line()

    def _add_reference(self, text: str) -> None:
        """Add the expansion of a character reference that starts at the current position."""
        if not self._skipped:
            position = self.getpos()
            for char in text:
                self._add(char, position)

    def _add(self, char: str, position: Position) -> None:
        """Add one character; whitespace runs collapse to one space, a newline inside <pre> ends the line."""
        if char == "\n" and self._pre:
            self._end_line()
        elif char in _HTML_WHITESPACE:
            if self._chars and self._space is None:
                self._space = position
        else:
            if self._space is not None:
                self._chars.append(" ")
                self._positions.append(self._space)
                self._space = None
            self._chars.append(char)
            self._positions.append(position)

    def _boundary(self, tag: str) -> None:
        """Apply the layout meaning of a start or end tag: a line end, a paragraph end or a gap."""
        if tag in _HTML_PARAGRAPHS:
            self._end_line()
            self._paragraph_break = True
        elif tag in _HTML_LINES:
            self._end_line()
        elif tag in _HTML_CELLS and self._chars and self._space is None:
            self._space = self.getpos()

    def _end_line(self) -> None:
        """Emit the line collected so far (after a blank line if a paragraph ended before it)."""
        self._space = None
        if not self._chars:
            return
        if self._paragraph_break and self.lines:
            self.lines.append(SourceLine("", ()))
        text, positions = "".join(self._chars), tuple(self._positions)
        self.lines.append(SourceLine(text, positions, heading=self._headings > 0))
        self._chars, self._positions = [], []
        self._paragraph_break = False


def _pdf_lines(data: bytes, path: str, limits: IngestLimits) -> list[SourceLine]:
    """Return the lines of a PDF's text layer, numbered through all pages in order."""
    # pypdf logs parser complaints about damaged files; the user gets one IngestError line instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(BytesIO(data))
        check_pages(len(reader.pages), path, limits)
        pages, characters = [], 0
        for page in reader.pages:
            pages.append(page.extract_text())
            characters += len(pages[-1])
            check_characters(characters, path, limits)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(path, "PDF is password-protected; remove the password and try again") from None
    except DependencyError:  # AES encryption needs the optional 'cryptography' package
        reason = "PDF is encrypted in a way that cannot be opened here; remove the encryption"
        raise IngestError(path, reason) from None
    except Exception as error:  # a damaged file can break the parser anywhere; any failure means unreadable
        raise IngestError(path, f"is not a valid PDF ({_one_line(error)})") from None
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    return [plain_line(line, number) for number, line in enumerate(text.split("\n"), 1)]


def _docx_lines(data: bytes, path: str, limits: IngestLimits) -> list[SourceLine]:
    """Return the body paragraphs of a .docx, paragraph i as line i, Heading/Title styles as heading lines."""
    check_unpacked_size(data, path, limits)
    try:
        paragraphs = [
            (paragraph.text, _is_heading_style(paragraph.style.name if paragraph.style else None))
            for paragraph in Document(BytesIO(data)).paragraphs
        ]
    except Exception as error:  # a damaged file can break the parser anywhere; any failure means unreadable
        raise IngestError(path, f"is not a valid .docx ({_one_line(error)})") from None
    check_characters(sum(len(text) for text, _ in paragraphs), path, limits)
    blocks = []
    for number, (text, heading) in enumerate(paragraphs, 1):
        block, column = [], 0
        for piece in text.split("\n"):  # soft line breaks
            positions = tuple((number, column + offset) for offset in range(len(piece)))
            block.append(SourceLine(piece, positions, heading))
            column += len(piece) + 1
        blocks.append(block)
    return _separate_paragraphs(blocks)


def _is_heading_style(name: str | None) -> bool:
    """Return whether a paragraph style name is Word's Title or one of its Heading 1-9 styles."""
    return name is not None and (name == "Title" or name.startswith("Heading"))


def _separate_paragraphs(blocks: Iterable[list[SourceLine]]) -> list[SourceLine]:
    """Return the lines of the blocks that have text, with one empty line between consecutive blocks."""
    lines: list[SourceLine] = []
    for block in blocks:
        if not any(line.text.strip() for line in block):
            continue
        if lines:
            lines.append(SourceLine("", ()))
        lines.extend(block)
    return lines


def _one_line(error: Exception) -> str:
    """Return an exception's message on one line (its type name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


_LOADERS: dict[str, tuple[str, Callable[[bytes, str, IngestLimits], list[SourceLine]]]] = {
    ".txt": ("txt", _text_lines),
    ".md": ("md", _markdown_lines),
    ".html": ("html", _html_lines),
    ".htm": ("html", _html_lines),
    ".pdf": ("pdf", _pdf_lines),
    ".docx": ("docx", _docx_lines),
}
