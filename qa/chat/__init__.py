"""The Gradio chat app: rendering, feedback, documents, service, evaluation tab and layout."""
