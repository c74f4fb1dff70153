"""Security headers on every response, HSTS only over TLS, and pages (ours and a strict city page) on which
real Chromium reports no Content-Security-Policy violation."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from channels.server import create_app
from knowledge.core.settings import Settings
from testing.browser import served

pytestmark = pytest.mark.integration

CITY_DOMAINS = "'self' https://www.city.minato.example.jp"


def settings(index_dir: Path, store: Path, **overrides: object) -> Settings:
    return Settings(index_dir=index_dir, database_url=f"sqlite:///{store}", index_poll_seconds=0,
                    **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    configured = settings(sample_index_dir, tmp_path_factory.mktemp("headers") / "store.db",
                          frame_ancestors=CITY_DOMAINS)
    with TestClient(create_app(configured)) as test_client:
        yield test_client


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def test_every_response_carries_a_strict_policy(client: TestClient) -> None:
    responses = [client.get("/"), client.get("/widget.js"), client.get("/static/widget.css"),
                 client.get("/healthz"),
                 client.post("/api/v1/ask", json={"text": "ごみの分け方"}), client.get("/no-such-page"),
                 client.post("/api/v1/ask", content=b"{", headers={"Content-Type": "application/json"}),
                 client.post("/api/v1/ask", content=b"x" * 20_000)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 404, 422, 413]
    for response in responses:
        policy = directives(response)
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == CITY_DOMAINS and policy["object-src"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in response.headers


def test_no_site_may_frame_the_staff_desk(client: TestClient) -> None:
    for path in ("/desk", "/desk/login"):
        response = client.get(path, follow_redirects=False)
        assert directives(response)["frame-ancestors"] == "'none'", path
    assert directives(client.get("/deskwork"))["frame-ancestors"] == CITY_DOMAINS


def test_frame_ancestors_cannot_smuggle_other_directives() -> None:
    for hostile in ("'self'; script-src *", "https://a.example.jp\r\nSet-Cookie: x=1",
                    "https://a.example.jp, *"):
        with pytest.raises(ValidationError, match="frame_ancestors"):
            Settings(frame_ancestors=hostile)


def test_hsts_only_when_the_request_came_over_tls(sample_index_dir: Path, tmp_path: Path) -> None:
    app = create_app(settings(sample_index_dir, tmp_path / "store.db"))
    with TestClient(app, base_url="https://madoguchi.example.jp") as tls:
        assert tls.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app) as plain:
        forged = plain.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in forged.headers, "an untrusted client cannot ask for HSTS"
    with TestClient(create_app(settings(sample_index_dir, tmp_path / "store.db", hsts=False)),
                    base_url="https://madoguchi.example.jp") as off:
        assert "strict-transport-security" not in off.get("/healthz").headers


@pytest.mark.parametrize(("trusted", "expected"), [(["127.0.0.1"], True), (["10.9.8.7"], False), ([], False)])
def test_hsts_behind_a_proxy_only_when_the_city_trusts_it(sample_index_dir: Path, tmp_path: Path,
                                                           trusted: list[str], expected: bool) -> None:
    city = settings(sample_index_dir, tmp_path / "store.db", trusted_proxies=trusted)
    with served(city, proxy_headers=False) as base:  # as `madoguchi serve` runs uvicorn
        response = httpx.get(base + "/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert ("strict-transport-security" in response.headers) is expected


def test_api_docs_page_allows_only_its_own_inline_script(client: TestClient) -> None:
    docs = client.get("/docs")
    [inline] = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    policy = directives(docs)
    assert f"'sha256-{digest}'" in policy["script-src"] and "unsafe-inline" not in docs.headers[
        "content-security-policy"]
    assert policy["frame-ancestors"] == CITY_DOMAINS
    assert "https://" not in policy["script-src"] + policy["style-src"], "the docs load nothing from a CDN"
    assert "cdn" not in docs.text and client.get(
        "/static-offline-docs/swagger-ui-bundle.js").status_code == 200


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app_settings = settings(sample_index_dir, tmp_path_factory.mktemp("csp") / "store.db")
    with served(app_settings, forwarded_allow_ips="127.0.0.1") as base:
        yield base


WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""  # noqa: E501 (a script kept as it runs)


def watched_page(browser):  # type: ignore[no-untyped-def]
    """A page that records CSP violation events and CSP console errors from its first script on."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    context.add_init_script(WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    return context, page, errors


def chat(page, text: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="お問い合わせチャット").click()
    page.get_by_label("質問を入力").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.mg-bot').length >= 2 && "
                           "!document.querySelector('.mg-typing')")
    return page.locator(".mg-bot").last.inner_text()


def test_demo_page_and_widget_run_without_a_csp_violation(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context, page, errors = watched_page(browser)
    page.goto(server + "/")
    assert "偶数月" in chat(page, "児童手当はいつ振り込まれる？")
    assert page.locator(".mg-launch").evaluate("e => getComputedStyle(e).backgroundColor") == ("rgb(11, 78, "
                                                                                               "162)")
    assert page.evaluate("window.__violations") == [] and errors == []
    page.evaluate("document.head.appendChild(Object.assign(document.createElement('style'), "
                  "{textContent: 'p{}'}))")
    # the watch itself works: inline style is refused
    page.wait_for_function("() => window.__violations.length > 0")
    context.close()


@pytest.fixture()
def city_page(server: str) -> Iterator[str]:
    """A city's own page on another origin, with its own strict CSP that allows our origin."""
    page = (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>市</title></head><body>'
            f'<h1>みなと市</h1><script src="{server}/widget.js" data-city="みなと市" '
            f'data-color="#006400"></script></body></html>').encode()
    policy = (f"default-src 'self'; script-src 'self' {server}; style-src 'self' {server}; "
              f"connect-src {server}")

    class CityPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            return None

    city = ThreadingHTTPServer(("127.0.0.1", 0), CityPage)
    threading.Thread(target=city.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{city.server_address[1]}/"
    city.shutdown()


def test_widget_is_styled_on_a_strict_city_page_that_allows_our_origin(browser, city_page: str) -> None:  # type: ignore[no-untyped-def]
    context, page, errors = watched_page(browser)
    page.goto(city_page)
    launcher = page.get_by_role("button", name="お問い合わせチャット")
    launcher.wait_for()
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 100, 0)"
    assert launcher.evaluate("e => getComputedStyle(e).position") == "fixed", "styled from our widget.css"
    assert page.evaluate("window.__violations") == [] and errors == []
    context.close()


def test_widget_on_a_listed_city_site_may_call_the_api_and_others_may_not(
        sample_index_dir: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, widget_origins=["https://www.city.example.jp"],
                        database_url=f"sqlite:///{tmp_path / 'store.db'}")
    with TestClient(create_app(settings)) as client:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        allowed = client.options("/api/v1/ask",
                                 headers={"Origin": "https://www.city.example.jp", **preflight})
        assert allowed.headers["access-control-allow-origin"] == "https://www.city.example.jp"
        refused = client.options("/api/v1/ask", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers


def test_an_unexpected_failure_is_the_json_500_with_the_security_headers(
        sample_index_dir: Path, tmp_path: Path) -> None:
    app = create_app(settings(sample_index_dir, tmp_path / "store.db"))

    def broken() -> None:
        raise RuntimeError("a bug we have not found yet")

    app.add_api_route("/broken-for-test", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken-for-test")
    assert response.status_code == 500 and response.json()["ok"] is False
    assert "a bug" not in response.text, "internals are logged, not shown"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
