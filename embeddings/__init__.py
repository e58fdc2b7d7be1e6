"""Sentence embeddings for retrieval: the offline default model and the encoder protocol."""
