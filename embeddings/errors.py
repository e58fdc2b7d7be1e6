"""The embeddings package's own error type, so that it depends on nothing of the application that uses it."""


class EmbeddingError(Exception):
    """A failure the user can fix (a model that cannot be prepared or loaded); its message is one line saying how."""
