"""Residents on the city website: the HTTP API, the chat widget and its demo page."""

from channels.web.app import create_app

__all__ = ["create_app"]
