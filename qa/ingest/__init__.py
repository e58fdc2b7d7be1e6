"""Ingestion: files in, clean passages with exact provenance out."""
