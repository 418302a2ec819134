"""The chat UI (Gradio) and the JSON API, served on one port."""
