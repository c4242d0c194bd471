"""Create, start, stop and inspect a local go-ethereum Clique proof-of-authority network.

Layout of a network's data directory (everything lives here, nothing elsewhere)::

    network.json        public description: sizes, ports, sealer addresses, node ids
    genesis.json        Clique genesis written from chain-config/clique/genesis.template.json
    node<i>/            geth data directory of node i
        keystore/       the sealer's encrypted key (never printed or logged)
        password.txt    passphrase that unlocks it (mode 0600)
        geth/nodekey    p2p identity key (mode 0600)
        config.toml     static/trusted peer list
        geth.pid        pid of the running geth, so another process can stop it
        geth.log        geth's log

This is a local development and test network: each sealer's passphrase sits next to its
keystore because geth must unlock it unattended. Production consortium nodes keep
their keys in the members' own key management.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from scfledger.network.clique_spec import (
    AUTHRPC_OFFSET,
    DEFAULT_TUNING,
    HTTP_APIS,
    HTTP_OFFSET,
    MAX_NODES,
    MIN_GAS_PRICE_WEI,
    P2P_OFFSET,
    POST_MERGE_FORKS,
    WS_APIS,
    WS_OFFSET,
    NetworkSpec,
    NodeStatus,
    NodeTuning,
)
from scfledger.network.geth import (
    DEFAULT_TEMPLATE,
    CliqueNetworkError,
    create_node_key,
    create_sealer_key,
    geth_binary,
    is_geth_of,
    process_start,
    rpc_call,
)


class CliqueNetwork:
    """N geth sealer nodes on loopback, peered only with each other.

    ``start()`` initializes the data directory on first use and reuses it afterwards,
    so a stopped network restarts with its chain. Use ``CliqueNetwork.open(data_dir)``
    to control a network that another process started.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        nodes: int = 4,
        period: int = 1,
        chain_id: int = 2026,
        base_port: int = 8545,
        alloc: Mapping[str, int] | None = None,
        template: Path = DEFAULT_TEMPLATE,
        tuning: NodeTuning = DEFAULT_TUNING,
    ) -> None:
        if not 1 <= nodes <= MAX_NODES:
            raise CliqueNetworkError(f"nodes must be between 1 and {MAX_NODES}, not {nodes}")
        self.data_dir = data_dir.resolve()
        self.nodes = nodes
        self.period = period
        self.chain_id = chain_id
        self.base_port = base_port
        self.alloc = dict(alloc or {})
        self.template = template
        self.tuning = tuning
        self._spec: NetworkSpec | None = None
        # Children started by this process; waiting on them avoids leaving zombies.
        self._procs: dict[int, subprocess.Popen[bytes]] = {}

    @classmethod
    def open(cls, data_dir: Path) -> CliqueNetwork:
        """The network already initialized in data_dir, with its recorded settings."""
        spec_path = data_dir / "network.json"
        if not spec_path.is_file():
            raise CliqueNetworkError(f"no Clique network in {data_dir} (missing network.json)")
        spec = NetworkSpec.read(spec_path)
        network = cls(
            data_dir,
            nodes=spec.nodes,
            period=spec.period,
            chain_id=spec.chain_id,
            base_port=spec.base_port,
        )
        network._spec = spec
        return network

    # ----------------------------------------------------------------- layout

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "network.json").is_file()

    @property
    def spec(self) -> NetworkSpec:
        if self._spec is None:
            if not self.initialized:
                raise CliqueNetworkError(f"network in {self.data_dir} is not initialized")
            self._spec = NetworkSpec.read(self.data_dir / "network.json")
        return self._spec

    @property
    def sealers(self) -> list[ChecksumAddress]:
        return list(self.spec.sealers)

    def node_dir(self, i: int) -> Path:
        return self.data_dir / f"node{i}"

    def log_path(self, i: int) -> Path:
        return self.node_dir(i) / "geth.log"

    def rpc_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.base_port + HTTP_OFFSET + i}"

    def ws_url(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.base_port + WS_OFFSET + i}"

    def _p2p_port(self, i: int) -> int:
        return self.base_port + P2P_OFFSET + i

    # ------------------------------------------------------------------- init

    def init(self) -> None:
        """Write keys, genesis and peer lists, and `geth init` every node (once)."""
        if self.initialized:
            self._check_matches_existing()
            return
        if self.node_dir(0).exists():
            raise CliqueNetworkError(
                f"{self.data_dir} holds an incomplete network (no network.json): remove it"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        sealers = [create_sealer_key(self.node_dir(i)) for i in range(self.nodes)]
        node_ids = [create_node_key(self.node_dir(i)) for i in range(self.nodes)]
        genesis = self._genesis(sealers[: self.tuning.signers])
        genesis_path = self.data_dir / "genesis.json"
        genesis_path.write_text(json.dumps(genesis, indent=2) + "\n")
        for i in range(self.nodes):
            self._write_peer_config(i, node_ids)
            self._run_geth_init(i, genesis_path)
        spec = NetworkSpec(
            nodes=self.nodes,
            chain_id=self.chain_id,
            period=self.period,
            base_port=self.base_port,
            gas_limit=int(genesis["gasLimit"], 16),
            sealers=sealers,
            node_ids=node_ids,
        )
        # Written last: its presence means "fully initialized".
        spec.write(self.data_dir / "network.json")
        self._spec = spec

    def _check_matches_existing(self) -> None:
        spec = self.spec
        wanted = (self.nodes, self.chain_id, self.period, self.base_port)
        found = (spec.nodes, spec.chain_id, spec.period, spec.base_port)
        if wanted != found:
            raise CliqueNetworkError(
                f"{self.data_dir} already holds a network with (nodes, chain_id, period, "
                f"base_port) = {found}, not {wanted}; use another data dir or open() it"
            )

    def _genesis(self, sealers: list[ChecksumAddress]) -> dict[str, Any]:
        genesis: dict[str, Any] = copy.deepcopy(json.loads(self.template.read_text()))
        config = genesis["config"]
        forbidden = [fork for fork in POST_MERGE_FORKS if fork in config]
        if forbidden:
            raise CliqueNetworkError(f"{self.template}: geth Clique cannot run {forbidden}")
        config["chainId"] = self.chain_id
        config["clique"]["period"] = self.period
        genesis["timestamp"] = hex(int(time.time()))
        if self.tuning.gas_limit is not None:
            genesis["gasLimit"] = hex(self.tuning.gas_limit)
        # Clique extraData: 32 vanity bytes, the initial signers, 65 bytes for a seal.
        signers = "".join(address[2:].lower() for address in sorted(sealers, key=str.lower))
        genesis["extraData"] = "0x" + "00" * 32 + signers + "00" * 65
        genesis["alloc"] = {
            to_checksum_address(address)[2:].lower(): {"balance": hex(wei)}
            for address, wei in self.alloc.items()
        }
        return genesis

    def _write_peer_config(self, i: int, node_ids: list[str]) -> None:
        """Every node knows every other as static and trusted peer; nobody else is dialled."""
        peers = [f'"{self._enode(node_id, j)}"' for j, node_id in enumerate(node_ids) if j != i]
        peer_list = "[" + ", ".join(peers) + "]"
        (self.node_dir(i) / "config.toml").write_text(
            "[Node.P2P]\n"
            # Loopback only: these nodes are not reachable from other machines.
            f'ListenAddr = "127.0.0.1:{self._p2p_port(i)}"\n'
            "NoDiscovery = true\n"
            # Every peer may be dialled: with the default ratio (3) and --maxpeers N-1
            # (see _geth_args) a node would dial only (N-1)/3 of its static peers.
            "DialRatio = 1\n"
            f"StaticNodes = {peer_list}\n"
            f"TrustedNodes = {peer_list}\n"
        )

    def _run_geth_init(self, i: int, genesis_path: Path) -> None:
        # S603: a fixed argv (no shell) for our own geth binary.
        init = [str(geth_binary()), "init", "--datadir", str(self.node_dir(i))]
        scheme = ["--state.scheme", self.tuning.state_scheme]
        result = subprocess.run(  # noqa: S603
            [*init, *scheme, str(genesis_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CliqueNetworkError(f"geth init of node {i} failed:\n{result.stderr[-2000:]}")

    def add_node(self, timeout: float = 60.0) -> int:
        """Add one more node with its own fresh key, peered statically with every other,
        and start it; returns its index.

        The node is not a signer yet: its miner runs, but Clique refuses its blocks until
        a majority of the signers votes it in (see ``scfledger.network.validators``); from
        then on it seals without being restarted.
        """
        spec = self.spec
        if spec.nodes >= MAX_NODES:
            raise CliqueNetworkError(f"a network has at most {MAX_NODES} nodes")
        i = spec.nodes
        if self.node_dir(i).exists():
            raise CliqueNetworkError(f"{self.node_dir(i)} exists already: remove it first")
        sealer = create_sealer_key(self.node_dir(i))
        node_ids = [*spec.node_ids, create_node_key(self.node_dir(i))]
        self._run_geth_init(i, self.data_dir / "genesis.json")
        # Every node's peer list names the newcomer, so later restarts keep it peered.
        for j in range(i + 1):
            self._write_peer_config(j, node_ids)
        enode = self._enode(node_ids[i], i)
        for j in range(i):
            if self.pid(j) is not None:
                # Running nodes read config.toml only at start: tell them over RPC. Trusted
                # peers are let in beyond --maxpeers.
                rpc_call(self.rpc_url(j), "admin_addTrustedPeer", [enode])
                rpc_call(self.rpc_url(j), "admin_addPeer", [enode])
        grown = NetworkSpec(
            **{**asdict(spec), "nodes": i + 1, "sealers": [*spec.sealers, sealer]},
        )
        grown.write(self.data_dir / "network.json")
        self._spec, self.nodes = grown, i + 1
        self._start_nodes([i], timeout)
        return i

    def _enode(self, node_id: str, i: int) -> str:
        return f"enode://{node_id}@127.0.0.1:{self._p2p_port(i)}?discport=0"

    # ---------------------------------------------------------------- running

    def start(self, timeout: float = 60.0) -> None:
        """Start every node that is not running (initializing first if needed) and return
        once all are peered with each other and sealing."""
        self.init()
        self._start_nodes([i for i in range(self.nodes) if self.pid(i) is None], timeout)

    def start_node(self, i: int, timeout: float = 30.0) -> None:
        """Start one stopped node; returns once it is peered, caught up and sealing."""
        self._start_nodes([i] if self.pid(i) is None else [], timeout)

    def _start_nodes(self, indices: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        already_running = [i for i in range(self.nodes) if self.pid(i) is not None]
        try:
            for i in indices:
                self._launch(i)
            self.wait_ready(indices, timeout)
            if already_running:
                # Sealing on a stale head only makes forks the network must then discard.
                target = max(self._head(j) or 0 for j in already_running)
                for i in indices:
                    self.wait_for_block(i, target, max(deadline - time.monotonic(), 1.0))
            # Sealing starts only now, with every node peered: nodes that seal before they
            # see each other build competing branches, and two branches of equal total
            # difficulty in which every signer has "signed recently" stall Clique for good
            # (go-ethereum#18402). geth is therefore launched without --mine.
            for i in indices:
                # A seal tried before geth has unlocked the key fails ("authentication
                # needed") and is not tried again until a new head or transaction comes:
                # a node alone would never seal.
                self._wait_unlocked(i, deadline)
                rpc_call(self.rpc_url(i), "miner_start")
        except BaseException:
            # No half-started network left behind (the error carries the log tail).
            self._stop(indices, timeout=10)
            raise

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every node: SIGTERM all at once (geth then flushes to disk), SIGKILL laggards."""
        self._stop([i for i in range(self.nodes) if self.pid(i) is not None], timeout)

    def stop_node(self, i: int, timeout: float = 20.0) -> None:
        self._stop([i], timeout)

    def pid(self, i: int) -> int | None:
        """The pid of node i's geth if it is running, else None (stale pid files ignored)."""
        proc = self._procs.get(i)
        if proc is not None:
            return proc.pid if proc.poll() is None else None
        try:
            pid = int((self.node_dir(i) / "geth.pid").read_text())
        except (OSError, ValueError):
            return None
        return pid if is_geth_of(pid, self.node_dir(i)) else None

    def _launch(self, i: int) -> None:
        if self.pid(i) is not None:
            return
        node_dir = self.node_dir(i)
        with self.log_path(i).open("ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self._geth_args(i),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: the nodes outlive a CLI that started them and do not get its
                # Ctrl-C; they are stopped through their pid files.
                start_new_session=True,
            )
        self._procs[i] = proc
        (node_dir / "geth.pid").write_text(f"{proc.pid}\n")

    def _geth_args(self, i: int) -> list[str]:
        spec, node_dir, sealer = self.spec, self.node_dir(i), self.spec.sealers[i]
        port = self.base_port + i
        return [
            str(geth_binary()),
            "--datadir", str(node_dir),
            "--config", str(node_dir / "config.toml"),
            "--networkid", str(spec.chain_id),
            "--syncmode", "full",
            # Archive: every block's state is on disk, so a killed node restarts at its head
            # instead of rewinding to its last flush (or genesis) and the ledger survives.
            "--gcmode", self.tuning.gc_mode,
            "--state.scheme", self.tuning.state_scheme,
            "--nodiscover", "--nat", "none", "--netrestrict", "127.0.0.0/8",
            # geth starts syncing as soon as it has min(5, maxpeers) peers, else only on a
            # 10 s tick: a restarted node catches up at once. The static peers are trusted,
            # so this cap never keeps them out.
            "--maxpeers", str(max(spec.nodes - 1, 1)),
            "--ipcdisable",
            "--http", "--http.addr", "127.0.0.1", "--http.port", str(port + HTTP_OFFSET),
            "--http.api", HTTP_APIS,
            "--ws", "--ws.addr", "127.0.0.1", "--ws.port", str(port + WS_OFFSET),
            "--ws.api", WS_APIS,
            # Unused without a beacon client, but geth always opens it: keep ports distinct.
            "--authrpc.addr", "127.0.0.1", "--authrpc.port", str(port + AUTHRPC_OFFSET),
            "--miner.etherbase", sealer,
            "--unlock", sealer, "--password", str(node_dir / "password.txt"),
            "--allow-insecure-unlock",
            "--miner.gasprice", str(MIN_GAS_PRICE_WEI),
            "--txpool.pricelimit", str(MIN_GAS_PRICE_WEI),
            # Without this the miner walks the block gas limit down to its 30M default.
            "--miner.gaslimit", str(spec.gas_limit),
            # Room for benchmark bursts of pre-signed transactions from a few senders.
            "--txpool.globalslots", "20000", "--txpool.accountslots", "5000",
            "--txpool.globalqueue", "5000", "--txpool.accountqueue", "1000",
            "--verbosity", "3",
            *self.tuning.flags,
        ]  # fmt: skip

    def _stop(self, indices: list[int], timeout: float) -> None:
        pids = {i: pid for i in indices if (pid := self.pid(i)) is not None}
        # Each process's start, to wait for that process itself: an exiting geth stops
        # looking like its node's (its command line goes first) before it has exited.
        started = {i: process_start(pid) for i, pid in pids.items()}
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for i, pid in pids.items():
            if not self._wait_exit(i, pid, started[i], deadline):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._wait_exit(i, pid, started[i], time.monotonic() + 5)
        for i in indices:
            self._procs.pop(i, None)
            (self.node_dir(i) / "geth.pid").unlink(missing_ok=True)

    def _wait_exit(self, i: int, pid: int, started: int | None, deadline: float) -> bool:
        """Whether node i's process `pid` (started at `started`) exited before `deadline`."""

        def exited() -> bool:
            proc = self._procs.get(i)
            if proc is not None:  # a child of this process: reaped once it exits
                return proc.poll() is not None
            now = process_start(pid)
            return now is None or now != started

        while time.monotonic() < deadline:
            if exited():
                return True
            time.sleep(0.1)
        return exited()

    # ------------------------------------------------------------- observing

    def wait_ready(self, indices: Iterable[int], timeout: float) -> None:
        """Wait until the given nodes answer JSON-RPC and each is peered with every other
        running node. Raises with the log tail if a node exits or time runs out."""
        deadline = time.monotonic() + timeout
        for i in indices:
            while True:
                if self.pid(i) is None:
                    raise CliqueNetworkError(f"node {i} exited:\n{self.log_tail(i)}")
                others = sum(1 for j in range(self.nodes) if j != i and self.pid(j) is not None)
                peers = self._probe(i, "net_peerCount")
                if peers is not None and int(peers, 16) >= others:
                    break
                if time.monotonic() > deadline:
                    raise CliqueNetworkError(
                        f"node {i} not ready after {timeout:.0f} s (peers: {peers}, "
                        f"want {others}):\n{self.log_tail(i)}"
                    )
                time.sleep(0.2)

    def _wait_unlocked(self, i: int, deadline: float) -> None:
        """Wait until node i's geth can sign with its sealer key (eth_sign of one byte)."""
        while True:
            try:
                rpc_call(self.rpc_url(i), "eth_sign", [self.spec.sealers[i], "0x00"])
                return
            except (OSError, CliqueNetworkError) as exc:
                if time.monotonic() > deadline:
                    raise CliqueNetworkError(
                        f"node {i} did not unlock its sealer key: {exc}\n{self.log_tail(i)}"
                    ) from None
                time.sleep(0.05)

    def wait_for_block(self, i: int, number: int, timeout: float = 30.0) -> int:
        """Wait until node i's head is at least `number`; returns the head."""
        deadline = time.monotonic() + timeout
        while True:
            head = self._head(i)
            if head is not None and head >= number:
                return head
            if time.monotonic() > deadline:
                raise CliqueNetworkError(f"node {i} did not reach block {number} (head {head})")
            time.sleep(0.2)

    def status(self) -> list[NodeStatus]:
        return [self.node_status(i) for i in range(self.nodes)]

    def node_status(self, i: int) -> NodeStatus:
        pid = self.pid(i)
        head = peers = signers = None
        if pid is not None:
            head = self._head(i)
            peers = self._probe(i, "net_peerCount")
            signers = self._probe(i, "clique_getSigners")
        return NodeStatus(
            index=i,
            sealer=self.spec.sealers[i],
            rpc_url=self.rpc_url(i),
            pid=pid,
            head=head,
            peers=None if peers is None else int(peers, 16),
            signers=tuple(to_checksum_address(s) for s in signers or ()),
        )

    def head(self, i: int) -> int:
        """Node i's current block number."""
        return int(rpc_call(self.rpc_url(i), "eth_blockNumber"), 16)

    def _head(self, i: int) -> int | None:
        head = self._probe(i, "eth_blockNumber")
        return None if head is None else int(head, 16)

    def log_tail(self, i: int, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path(i).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _probe(self, i: int, method: str) -> Any:
        """rpc_call, or None while the node is down or still starting."""
        try:
            return rpc_call(self.rpc_url(i), method)
        # Refused, reset, timed out, half-written reply, or an API not served yet.
        except (OSError, ValueError, CliqueNetworkError):
            return None
