"""Local go-ethereum Clique proof-of-authority networks for development, tests and benchmarks."""

from scfledger.network.clique import CliqueNetwork
from scfledger.network.clique_spec import NetworkSpec, NodeStatus
from scfledger.network.geth import GETH_VERSION, CliqueNetworkError, geth_binary, rpc_call

__all__ = [
    "GETH_VERSION",
    "CliqueNetwork",
    "CliqueNetworkError",
    "NetworkSpec",
    "NodeStatus",
    "geth_binary",
    "rpc_call",
]
