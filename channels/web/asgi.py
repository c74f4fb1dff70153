"""ASGI entry point for uvicorn and other servers: `uvicorn channels.web.asgi:app`. Settings come from the environment."""

from channels.web.app import create_app

app = create_app()
