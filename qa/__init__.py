"""Offline question answering over documents with verbatim, cited answers."""
