"""Retrieval: a persistent FAISS index of passage vectors, Chinese BM25, and their fusion."""
