"""A contract wallet (the custody multisig, EIP-1271) trades through the relayer: its orders and
gasless cancels are verified by calling the wallet's isValidSignature."""

from __future__ import annotations

import time

import pytest
from eth_account import Account

from offchain.custody.multisig import (
    MultisigTransaction,
    Operation,
    ecdsa,
    message_typed_data,
    pack_signatures,
    transaction_typed_data,
)
from relayer.cancels import CancelOrders, cancel_digest
from relayer.models import ORDER_CANCELLED
from relayer.orders import order_hash
from relayer.service import OrderAck, Submission
from tests.offchain.custody.conftest import create_wallet
from tests.relayer.conftest import USDC, make_order, send

pytestmark = [pytest.mark.anvil, pytest.mark.anyio]


def _wallet_signature(owner, wallet: str, chain_id: int, digest: bytes) -> bytes:
    """What the 1-of-1 wallet accepts under EIP-1271 for ``digest``."""
    typed = message_typed_data(wallet, chain_id, digest)
    signature = bytes(Account.sign_typed_data(owner.key, full_message=typed).signature)
    return pack_signatures([ecdsa(owner.address, signature)])


def _exec(suite, w3, wallet: str, owner, call) -> None:
    contract = w3.eth.contract(address=wallet, abi=suite.artifacts.abi("MultisigWallet"))
    nonce = contract.functions.nonce().call()
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    tx = MultisigTransaction(wallet, w3.eth.chain_id, call.address, 0, data, Operation.CALL, nonce)
    typed = transaction_typed_data(tx)
    signature = bytes(Account.sign_typed_data(owner.key, full_message=typed).signature)
    packed = pack_signatures([ecdsa(owner.address, signature)])
    send(
        w3,
        contract.functions.execTransaction(call.address, 0, data, int(Operation.CALL), packed),
        owner.address,
    )


@pytest.fixture
def wallet_maker(suite, w3, funded_accounts):
    owner = funded_accounts[6]
    wallet = create_wallet(suite, w3, [owner.address], 1, salt=1271, fund=0)
    usdc = suite.contract("tUSDC")
    exchange = suite.contract("Exchange")
    send(w3, usdc.functions.transfer(wallet, 1_000 * USDC), owner.address)
    _exec(suite, w3, wallet, owner, usdc.functions.approve(exchange.address, 1_000 * USDC))
    _exec(suite, w3, wallet, owner, exchange.functions.deposit(usdc.address, 1_000 * USDC))
    assert exchange.functions.balanceOf(usdc.address, wallet).call() == 1_000 * USDC
    return owner, wallet


async def test_a_multisig_wallet_order_is_accepted_via_eip1271_and_cancelled_gaslessly(
    relayer, wallet_maker, funded_accounts
):
    owner, wallet = wallet_maker
    order = make_order(Account.from_key(owner.key), is_buy=True, quantity_lots=5)
    order = order.__class__(**{**_fields(order), "maker": wallet})
    digest = order_hash(order, relayer.chain_id, relayer.exchange_address)

    stranger = funded_accounts[7]
    refused = await relayer.submit(
        [Submission(order, _wallet_signature(stranger, wallet, relayer.chain_id, digest))]
    )
    assert refused[0].code == "signature_invalid"  # type: ignore[union-attr]
    assert "EIP-1271" in refused[0].message  # type: ignore[union-attr]

    [ack] = await relayer.submit(
        [Submission(order, _wallet_signature(owner, wallet, relayer.chain_id, digest))]
    )
    assert isinstance(ack, OrderAck), ack
    assert ack.order_hash == "0x" + digest.hex()

    cancel = CancelOrders(wallet, (digest,), int(time.time()) + 60)
    cancel_signature = _wallet_signature(
        owner,
        wallet,
        relayer.chain_id,
        cancel_digest(cancel, relayer.chain_id, relayer.exchange_address),
    )
    [done] = await relayer.cancel_signed(cancel, cancel_signature)
    assert isinstance(done, OrderAck) and done.status == ORDER_CANCELLED


def _fields(order):
    return {
        name: getattr(order, name)
        for name in (
            "maker",
            "market_id",
            "is_buy",
            "price_ticks",
            "quantity_lots",
            "expiry",
            "salt",
            "epoch",
            "max_fee_bps",
        )
    }
