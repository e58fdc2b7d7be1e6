"""Documents users upload: safe file names, a size limit, and the folder inside the data dir that holds them."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

from qa.chat.i18n import ChatError

UPLOAD_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
DEFAULT_MAX_UPLOAD_MB = 20
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\-()（）\[\] ]+")


def uploads_dir(data_dir: Path) -> Path:
    """Return the folder uploaded documents are copied into."""
    return data_dir / "documents"


def safe_filename(name: str) -> str:
    """Return a file name that stays inside a folder: no path parts, no control or shell characters, not hidden.

    Raises ChatError when nothing usable is left or the type is not supported.
    """
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name)[-1])
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip("_ "):
        raise ChatError("bad_file_name", name=name)
    suffix = "." + suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ChatError("unsupported_type", name=base, suffix=suffix, supported=" ".join(UPLOAD_SUFFIXES))
    return stem[: MAX_NAME_CHARS - len(suffix)] + suffix


def size_label(size: int) -> str:
    """Return a byte count as '1.5 MB' (a megabyte or more) or '12.0 KB'."""
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.1f} KB"


def store_upload(source: Path, name: str, folder: Path, max_bytes: int) -> Path:
    """Copy an uploaded file into the folder under its safe name and return the new path.

    Raises ChatError when the file is too large or the name would leave the folder.
    """
    target = folder / safe_filename(name)
    size = source.stat().st_size
    if size > max_bytes:
        raise ChatError("over_limit", name=name, size=size_label(size), limit=size_label(max_bytes))
    folder.mkdir(parents=True, exist_ok=True)
    if target.resolve().parent != folder.resolve():
        raise ChatError("bad_file_name", name=name)
    shutil.copyfile(source, target)
    return target


def uploaded_path(folder: Path, document: str) -> Path:
    """Return the path of an uploaded document from its indexed name; raises ChatError when it is not one."""
    candidate = Path(document)
    path = folder / candidate.name
    if candidate.name != document and candidate.resolve() != path.resolve():
        raise ChatError("not_uploaded", name=document)
    if not path.is_file():
        raise ChatError("not_in_uploads", name=document)
    return path
