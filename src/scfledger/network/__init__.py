"""Local go-ethereum Clique proof-of-authority networks for development, tests and benchmarks."""

from scfledger.network.clique import (
    GETH_VERSION,
    CliqueNetwork,
    CliqueNetworkError,
    NetworkSpec,
    NodeStatus,
    geth_binary,
    rpc_call,
)

__all__ = [
    "GETH_VERSION",
    "CliqueNetwork",
    "CliqueNetworkError",
    "NetworkSpec",
    "NodeStatus",
    "geth_binary",
    "rpc_call",
]
