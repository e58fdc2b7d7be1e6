"""Uploaded documents: safe names that cannot leave the uploads folder, the size limit, removal by name."""

from __future__ import annotations

import pytest

from qa.chat.documents import safe_filename, store_upload, uploaded_path, uploads_dir
from qa.errors import QAError


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/新闻 2024.PDF", "新闻 2024.pdf"),
        (".hidden.html", "hidden.html"),
        ("a<script>b;rm -rf.docx", "a_script_b_rm -rf.docx"),
        ("tab\tnew\nline.txt", "tabnewline.txt"),
        ("x" * 300 + ".txt", "x" * 116 + ".txt"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize("name", ["..", "../", ".txt", "noextension", "a/b/", "___.md"])
def test_unusable_names_are_refused(name):
    with pytest.raises(QAError, match="cannot use the file name"):
        safe_filename(name)


def test_unsupported_type_is_refused():
    with pytest.raises(QAError, match=r"evil.exe: unsupported file type '.exe' \(supported: .txt .md .pdf .docx .html .htm\)"):
        safe_filename("evil.exe")


def test_store_upload_copies_under_the_safe_name_inside_the_folder(tmp_path):
    source = tmp_path / "upload.bin"
    source.write_text("平湖", encoding="utf-8")
    folder = uploads_dir(tmp_path / "data")
    stored = store_upload(source, "../../escape.txt", folder, 1000)
    assert stored == folder / "escape.txt" and stored.read_text(encoding="utf-8") == "平湖"
    assert not (tmp_path / "escape.txt").exists()


def test_store_upload_refuses_files_over_the_limit(tmp_path):
    source = tmp_path / "big.txt"
    source.write_bytes(b"x" * (3 * 2**20))
    with pytest.raises(QAError, match=r"^big.txt: 3.0 MB is over the upload limit of 2.0 MB$"):
        store_upload(source, "big.txt", tmp_path / "documents", 2 * 2**20)


def test_uploaded_path_accepts_only_documents_in_the_folder(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "a.txt").write_text("x", encoding="utf-8")
    assert uploaded_path(folder, str(folder / "a.txt")) == folder / "a.txt"
    assert uploaded_path(folder, "a.txt") == folder / "a.txt"
    with pytest.raises(QAError, match="not an uploaded document"):
        uploaded_path(folder, "seeds/a.txt")
    with pytest.raises(QAError, match="not in the uploaded documents"):
        uploaded_path(folder, "b.txt")
