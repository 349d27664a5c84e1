import socket
import time

import pytest

from tigerex.chain import connect
from tigerex.devchain import dev_accounts
from tigerex.errors import ChainIdMismatch, ChainUnreachable
from tigerex.node import AnvilNode, free_port, rpc_call


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_anvil_starts_with_chain_id_and_dev_accounts_and_stops():
    with AnvilNode(chain_id=4242) as node:
        pid = node.pid
        w3 = connect(node.url, expected_chain_id=4242)
        assert w3.eth.chain_id == 4242
        assert w3.eth.accounts[:3] == [a.address for a in dev_accounts(3)]
        assert w3.eth.get_balance(dev_accounts(1)[0].address) == 10_000 * 10**18
    assert pid is not None and not _pid_alive(pid)


def test_anvil_block_time_mines_without_transactions():
    with AnvilNode(block_time=0.2) as node:
        first = int(rpc_call(node.url, "eth_blockNumber"), 16)
        time.sleep(1.0)
        assert int(rpc_call(node.url, "eth_blockNumber"), 16) > first


def test_anvil_on_a_taken_port_fails_with_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ChainUnreachable, match=f"Anvil did not start on 127.0.0.1:{port}"):
            AnvilNode(port=port).start(timeout=5)


def test_connect_to_unreachable_url_raises_chain_unreachable():
    with pytest.raises(ChainUnreachable, match="start one with `tigerex node`"):
        connect(f"http://127.0.0.1:{free_port()}")


def test_connect_checks_the_expected_chain_id(anvil):
    with pytest.raises(ChainIdMismatch, match="settings says 1, the node says 31337"):
        connect(anvil.url, expected_chain_id=1)
