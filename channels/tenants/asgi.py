"""ASGI entry point of a server of many cities: `uvicorn channels.tenants.asgi:app` (MADOGUCHI_TENANTS_FILE set)."""

from channels.tenants.server import create_tenants_app

app = create_tenants_app()
