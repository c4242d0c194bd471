"""Connects to a chain node (HTTP, WebSocket or in-process eth-tester) with timeouts and retries."""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
from web3 import EthereumTesterProvider, HTTPProvider, LegacyWebSocketProvider, Web3
from web3.exceptions import Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.middleware.base import Web3Middleware

from scfledger.exceptions import ChainUnavailable

if TYPE_CHECKING:
    from web3.types import RPCEndpoint, RPCResponse

log = logging.getLogger(__name__)

ETH_TESTER_URL = "eth-tester://"

# web3.py validates every transaction's chain id with an eth_chainId call; a node's chain
# id never changes, so it is asked once. No cache validation threshold: web3.py 7 checks
# cached answers against the latest block, and threads racing on the first check can turn
# the cache off for good (then every estimate asks eth_chainId twice more).
CHAIN_ID_CACHE: dict[str, Any] = {
    "cache_allowed_requests": True,
    "cacheable_requests": {"eth_chainId"},
    "request_cache_validation_threshold": None,
}

# Transport failures worth another try: the request may not have reached the node, or
# its answer was lost. An RPC error *response* (a revert, "nonce too low") is never one.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    ConnectionError,  # ConnectionRefusedError, ConnectionResetError, BrokenPipeError
    TimeoutError,
    socket.timeout,
)


def _websocket_errors() -> tuple[type[BaseException], ...]:
    try:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake
    except ImportError:  # pragma: no cover - websockets ships with web3
        return ()
    return (ConnectionClosed, InvalidHandshake)


def is_transient(exc: BaseException) -> bool:
    """True when `exc` is a transport failure (connection refused, timeout, reset)."""
    return isinstance(exc, TRANSIENT_ERRORS + _websocket_errors())


class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    def __init__(self, *, retries: int = 3, backoff: float = 0.2, max_delay: float = 5.0) -> None:
        self.retries = retries
        self.backoff = backoff
        self.max_delay = max_delay

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        base = min(self.max_delay, self.backoff * 2 ** (attempt - 1))
        return float(base * (0.5 + random.random() / 2))  # noqa: S311 (jitter, not crypto)

    def run(self, action: Callable[[], Any], *, endpoint: str) -> Any:
        attempt = 0
        while True:
            try:
                return action()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                attempt += 1
                if attempt > self.retries:
                    raise ChainUnavailable(
                        endpoint=endpoint, attempts=attempt, reason=type(exc).__name__
                    ) from exc
                pause = self.delay(attempt)
                log.warning(
                    "chain request failed (%s), retry %d/%d in %.2fs",
                    type(exc).__name__,
                    attempt,
                    self.retries,
                    pause,
                )
                time.sleep(pause)


def retry_middleware(policy: RetryPolicy, endpoint: str) -> type[Web3Middleware]:
    """A middleware class that retries transport failures of every request under `policy`."""

    class _Retry(Web3Middleware):
        retry_policy = policy  # what this connection does on a transport failure

        def wrap_make_request(
            self, make_request: Callable[[RPCEndpoint, Any], RPCResponse]
        ) -> Callable[[RPCEndpoint, Any], RPCResponse]:
            def middleware(method: RPCEndpoint, params: Any) -> RPCResponse:
                response: RPCResponse = policy.run(
                    lambda: make_request(method, params), endpoint=endpoint
                )
                return response

            return middleware

    return _Retry


def connect(
    url: str,
    *,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.2,
    poa: bool = True,
) -> Web3:
    """A Web3 for `url`: ``http(s)://``, ``ws(s)://`` or ``eth-tester://`` (in process).

    Every request has a timeout; transport failures are retried `retries` times with
    exponential backoff, then raise ChainUnavailable. RPC errors (reverts included) are
    never retried. `poa` adds the middleware that accepts Clique/QBFT's long extraData.
    """
    if url.startswith(("http://", "https://")):
        provider: Any = HTTPProvider(
            url,
            request_kwargs={"timeout": timeout},
            exception_retry_configuration=None,
            **CHAIN_ID_CACHE,
        )
    elif url.startswith(("ws://", "wss://")):
        provider = LegacyWebSocketProvider(
            url, websocket_timeout=int(max(1, timeout)), **CHAIN_ID_CACHE
        )
    elif url == ETH_TESTER_URL:
        provider = EthereumTesterProvider()
    else:
        raise ValueError(
            f"unsupported chain URL {url!r}: use http(s)://, ws(s):// or eth-tester://"
        )
    w3 = Web3(provider)
    if poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    if url != ETH_TESTER_URL and retries > 0:
        policy = RetryPolicy(retries=retries, backoff=backoff)
        w3.middleware_onion.add(retry_middleware(policy, url), name="retry")
    return w3


def connect_from_settings(settings: Any) -> Web3:
    """`connect` with the chain fields of scfledger.config.Settings."""
    return connect(
        settings.chain_url,
        timeout=settings.chain_timeout,
        retries=settings.chain_retries,
        backoff=settings.chain_backoff,
    )


def rpc_message(exc: BaseException) -> str:
    """The node's own words for a JSON-RPC error (`error.message`), else the exception's."""
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        error = exc.rpc_response.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
    return str(exc)
