"""User-facing errors: each carries a one-line message saying what went wrong and how to fix it."""


class QAError(Exception):
    """A failure the user can cause and fix; the CLI prints its message on one line, no traceback."""


class IngestError(QAError):
    """A document that cannot be ingested; names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
