"""The chain node connection: URL schemes, retries on transport failures, none on reverts."""

from __future__ import annotations

import pytest
import requests

from scfledger.chain.node import ETH_TESTER_URL, RetryPolicy, connect
from scfledger.exceptions import ChainUnavailable, ContractRevert
from tests.support.anvil import free_port


def test_transient_failures_are_retried_then_succeed() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("refused")
        return "ok"

    assert RetryPolicy(retries=3, backoff=0).run(flaky, endpoint="x") == "ok"
    assert len(calls) == 3


def test_retries_are_bounded() -> None:
    calls = []

    def down() -> None:
        calls.append(1)
        raise requests.Timeout("slow")

    with pytest.raises(ChainUnavailable) as raised:
        RetryPolicy(retries=2, backoff=0).run(down, endpoint="http://node")

    assert len(calls) == 3
    assert (raised.value.attempts, raised.value.reason) == (3, "Timeout")


def test_reverts_are_never_retried() -> None:
    calls = []

    def reverts() -> None:
        calls.append(1)
        raise ContractRevert(name="ZeroValue", args={}, contract="ReceivableToken", data=b"")

    with pytest.raises(ContractRevert):
        RetryPolicy(retries=5, backoff=0).run(reverts, endpoint="x")

    assert len(calls) == 1


def test_unreachable_node_raises_chain_unavailable() -> None:
    w3 = connect(f"http://127.0.0.1:{free_port()}", timeout=1, retries=2, backoff=0.01)

    with pytest.raises(ChainUnavailable) as raised:
        _ = w3.eth.block_number

    assert raised.value.attempts == 3


def test_eth_tester_url_gives_an_in_process_chain() -> None:
    w3 = connect(ETH_TESTER_URL)

    assert w3.eth.block_number == 0
    assert len(w3.eth.accounts) > 0


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported chain URL"):
        connect("ftp://node")


@pytest.mark.integration
def test_http_and_websocket_urls_reach_a_real_node(anvil: object) -> None:
    port = anvil.port  # type: ignore[attr-defined]
    for url in (f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"):
        w3 = connect(url)
        assert w3.eth.chain_id == 31337
