"""Retrieval, cited answers, the advisor, chat, UI, API and CLI over the index built by `ingest`."""
