"""The desk as staff reach it in tests: accounts made through the CLI, sign-in through the login form, and the
CSRF token and entry form a browser would send back."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from channels.cli.app import app as cli_app

PASSWORD = "minato-desk-2026"


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


ADDRESSES = itertools.count(1)


def add_user(store_url: str, model_cache: Path, name: str, role: str, password: str = PASSWORD) -> None:
    """Through `madoguchi desk user add … --password-stdin`, as an administrator would."""
    env = {"MADOGUCHI_DATABASE_URL": store_url, "MADOGUCHI_DATA_DIR": str(model_cache)}
    result = CliRunner().invoke(cli_app, ["desk", "user", "add", name, "--role", role, "--password-stdin"],
                                input=password + "\n", env=env)
    assert result.exit_code == 0, result.output


def visitor(app: object, address: str = "", https: bool = False) -> TestClient:
    """Someone new at the desk: a fresh cookie jar on the running app (no lifespan of its own), from its own
    client address."""
    address = address or f"198.51.100.{next(ADDRESSES)}"
    base = "https://testserver" if https else "http://testserver"
    return TestClient(app, base_url=base, client=(address, 50000), follow_redirects=False)  # type: ignore[arg-type]


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/desk"):  # type: ignore[no-untyped-def]
    form = client.get("/desk/login", params={"next": next_path})
    token = CSRF.search(form.text)
    assert token, form.text
    return client.post("/desk/login", data={"username": name, "password": password, "csrf": token.group(1),
                                            "next": next_path})


def signed_in(app: object, name: str) -> TestClient:
    """A desk browser already signed in as `name`."""
    client = visitor(app)
    assert sign_in(client, name).status_code == 303
    return client


def csrf_of(client: TestClient, path: str = "/desk") -> str:
    found = CSRF.search(client.get(path).text)
    assert found
    return found.group(1)


def form_of(client: TestClient, path: str) -> dict[str, str]:
    """The entry form's current values, as the browser would send them back."""
    html = client.get(path).text
    values = dict(re.findall(r'<textarea [^>]*name="(\w+)"[^>]*>([^<]*)</textarea>', html))
    values.update(re.findall(r'<input [^>]*name="(\w+)" [^>]*value="([^"]*)"', html))
    return {k: v.replace("&amp;", "&") for k, v in values.items()}
