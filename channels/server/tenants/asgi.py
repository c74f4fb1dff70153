"""ASGI entry point of a server of many cities: `uvicorn channels.server.tenants.asgi:app`
(MADOGUCHI_TENANTS_FILE set)."""

from channels.server.tenants.server import create_tenants_app

app = create_tenants_app()
