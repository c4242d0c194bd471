"""Start panva's oidc-provider (tests/support/oidc_provider.mjs, node) on a random loopback
port with one confidential client, for the single sign-on tests."""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.support.anvil import free_port
from tests.support.waiting import eventually

__all__ = ["IdentityProvider", "form_of", "identity_provider"]

SCRIPT = Path(__file__).with_name("oidc_provider.mjs")


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str
    client_id: str
    client_secret: str
    log_file: Path

    def tamper(self, claims: dict[str, str]) -> None:
        """The next ID tokens carry `claims`, written in after signing (`{}`: honest again)."""
        response = httpx.post(f"{self.issuer}/__test__/tamper", json=claims)
        assert response.status_code == 204


@contextmanager
def identity_provider(directory: Path, redirect_uris: list[str]) -> Iterator[IdentityProvider]:
    """The provider, answering its discovery document, until the block ends."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: the SSO tests start oidc-provider with it")
    port = free_port()
    config = {
        "port": port,
        "client_id": "scf-gateway",
        "client_secret": secrets.token_urlsafe(32),
        "redirect_uris": redirect_uris,
    }
    log_file = directory / "oidc-provider.log"
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [node, str(SCRIPT), json.dumps(config)], stdout=log, stderr=subprocess.STDOUT
        )
    issuer = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"oidc-provider exited: {log_file.read_text()[-2000:]}")
        try:
            url = f"{issuer}/.well-known/openid-configuration"
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        eventually(answers, what=f"oidc-provider to answer at {issuer}")
        yield IdentityProvider(
            issuer=issuer,
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            log_file=log_file,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append((named.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in named:
            self.forms[-1][1][named["name"]] = named.get("value", "")


def form_of(html: str) -> tuple[str, dict[str, str]]:
    """The first form of a page: its action and its inputs' names and values."""
    parser = _Forms()
    parser.feed(html)
    assert parser.forms, html[:2000]
    return parser.forms[0]
