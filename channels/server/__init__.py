"""The server's composition: the FastAPI app of one city (`app`), many cities on one server (`tenants`), and
the ASGI entry points uvicorn loads. The only package that puts the channels together."""

from channels.server.app import create_app

__all__ = ["create_app"]
