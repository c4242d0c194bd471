"""JSON-RPC batches: many node calls in one request, for the pipeline's bulk work.

The pipeline looks up a receipt per operation, a nonce per account and broadcasts a
signed transaction per operation. Through web3.py's methods each is an HTTP request plus
request and result formatting; a batch is one request and the raw JSON answers, of which
the pipeline reads a few fields. Providers that cannot batch (the in-process eth-tester)
and transport failures make `call_batch` return None: the caller then falls back to
web3.py's methods, which carry the client's retry policy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from web3 import Web3
from web3.types import RPCEndpoint

from scfledger.chain.node import is_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reply:
    """One call's answer: its raw JSON result, or the node's error message."""

    result: Any = None
    error: str | None = None


class Batcher:
    """Sends JSON-RPC batches through one Web3's provider, if it can batch."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._send = getattr(w3.provider, "make_batch_request", None)
        self.supported = callable(self._send)

    def call(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Reply] | None:
        """The answers to `calls` in order, or None when they could not be sent as a batch.

        None covers a provider without batches (remembered), a node that refuses batches
        and a transport failure; the caller repeats the calls one by one.
        """
        if not calls or not self.supported:
            return None if calls else []
        requests = [(RPCEndpoint(method), params) for method, params in calls]
        try:
            answers = cast(Any, self._send)(requests)
        except NotImplementedError:
            self.supported = False
            return None
        except Exception as exc:
            if not is_transient(exc):
                raise
            return None
        if not isinstance(answers, list) or len(answers) != len(calls):
            # One error object for the whole batch: the node does not take batches.
            log.info("node refused a JSON-RPC batch; using single requests")
            self.supported = False
            return None
        replies = []
        for answer in cast(list[dict[str, Any]], answers):
            error = answer.get("error")
            if error is not None:
                message = error.get("message") if isinstance(error, dict) else None
                replies.append(Reply(error=str(message if message is not None else error)))
            else:
                replies.append(Reply(result=answer.get("result")))
        return replies


def quantity(value: Any) -> int:
    """A JSON-RPC quantity (0x-hex string, or an int from in-process providers)."""
    return value if isinstance(value, int) else int(str(value), 16)
