"""Bounds on what one file may hold, so a huge or hostile file is refused quickly instead of exhausting memory."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO

from qa.errors import IngestError


@dataclass(frozen=True)
class IngestLimits:
    """The most one file may hold: characters of text, bytes a .docx unpacks to, pages of a PDF.

    Ingestion keeps every character's source position, about 110 bytes per character while a file is
    read, so 10 million characters (about 30 MB of Chinese UTF-8) peak near 1.1 GB.
    """

    max_characters: int = 10_000_000
    max_unpacked_bytes: int = 100 * 2**20
    max_pdf_pages: int = 2_000


DEFAULT_LIMITS = IngestLimits()


def check_characters(count: int, path: str, limits: IngestLimits) -> None:
    """Raise IngestError when a file's text has more characters than the limit."""
    if count > limits.max_characters:
        raise IngestError(path, f"holds more than {limits.max_characters:,} characters of text; split it into smaller files")


def check_unpacked_size(data: bytes, path: str, limits: IngestLimits) -> None:
    """Raise IngestError when a zip container (.docx) would unpack to more than the limit.

    The sizes come from the zip directory; Python's zip reader stops at the declared size of each
    member (and fails its checksum), so a member that lies about its size cannot unpack further.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise IngestError(path, f"is not a valid .docx ({error})") from None
    if unpacked > limits.max_unpacked_bytes:
        raise IngestError(
            path,
            f"unpacks to {unpacked / 2**20:,.0f} MB, more than the {limits.max_unpacked_bytes / 2**20:,.0f} MB one .docx may; "
            "save its text as .txt or split it",
        )


def check_pages(count: int, path: str, limits: IngestLimits) -> None:
    """Raise IngestError when a PDF has more pages than the limit."""
    if count > limits.max_pdf_pages:
        raise IngestError(path, f"has {count:,} pages, more than the {limits.max_pdf_pages:,} one PDF may have; split it")
