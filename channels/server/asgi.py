"""ASGI entry point for uvicorn and other servers: `uvicorn channels.server.asgi:app`. Settings come from the
environment."""

from channels.server.app import create_app

app = create_app()
