"""KYC attestations, P2P escrows and multisig wallets: every table equals the chain's events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3
from web3.logs import DISCARD

from indexer.models import EscrowOpening, EscrowTransition, KycAttestation, MultisigWalletCreated
from tests.indexer.conftest import chain_config, index_once
from tigerex.db import make_engine
from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts

pytestmark = pytest.mark.anvil


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def test_custody_tables_equal_the_chain(
    anvil, w3: Web3, suite: ContractRegistry, database_url: str
) -> None:
    deployer, seller, buyer, a, b = (acct.address for acct in dev_accounts()[:5])
    kyc, escrow = suite.contract("KYCRegistry"), suite.contract("Escrow")
    factory, usdc = suite.contract("MultisigFactory"), suite.contract("tUSDC")

    kyc.functions.attest(seller, 2, 2**40).transact({"from": deployer})
    kyc.functions.attest(buyer, 1, 2**40).transact({"from": deployer})
    kyc.functions.revoke(buyer).transact({"from": deployer})

    usdc.functions.approve(escrow.address, 10**12).transact({"from": seller})
    tx = escrow.functions.open(buyer, usdc.address, 500 * 10**6, b"\x07" * 32, 3600, 0,
                               "0x" + "00" * 20).transact({"from": seller})  # fmt: skip
    receipt = w3.eth.get_transaction_receipt(tx)
    opened = escrow.events.EscrowOpened().process_receipt(receipt, errors=DISCARD)[0]
    escrow_id = opened.args.escrowId
    params = (seller, buyer, usdc.address, opened.args.amount, opened.args.termsHash,
              opened.args.paymentDeadline, opened.args.feeBps, opened.args.kycLevel,
              opened.args.arbiter)  # fmt: skip
    escrow.functions.markPaid(escrow_id, params).transact({"from": buyer})
    escrow.functions.release(escrow_id, params).transact({"from": seller})

    factory.functions.createWallet([a, b], 2, 7).transact({"from": a})

    config = chain_config(suite, anvil.url)
    index_once(database_url, config)
    start = config.start_block

    def logs(contract: Any, name: str) -> list[Any]:
        return list(getattr(contract.events, name)().get_logs(from_block=start))

    def key(ev: Any) -> tuple[str, int]:
        return _hex(ev["transactionHash"]), ev["logIndex"]

    engine = make_engine(database_url)
    with engine.connect() as conn:

        def rows(model: Any, *columns: str) -> set[tuple[Any, ...]]:
            return {
                tuple(getattr(r, c) for c in ("tx_hash", "log_index", *columns))
                for r in conn.execute(select(model.__table__))
            }

        attested = {(*key(e), _hex(e.args.subject), e.args.level, False)
                     for e in logs(kyc, "Attested")}  # fmt: skip
        revoked = {(*key(e), _hex(e.args.subject), 0, True) for e in logs(kyc, "Revoked")}
        assert rows(KycAttestation, "subject", "level", "revoked") == attested | revoked
        assert len(revoked) == 1

        assert rows(EscrowOpening, "escrow_id", "seller", "buyer", "amount", "terms_hash") == {
            (*key(e), e.args.escrowId, _hex(e.args.seller), _hex(e.args.buyer), e.args.amount,
             _hex(e.args.termsHash))
            for e in logs(escrow, "EscrowOpened")
        }  # fmt: skip
        transitions = rows(EscrowTransition, "escrow_id", "kind", "outcome", "buyer_amount")
        expected = {(*key(e), e.args.escrowId, "paid", None, None)
                    for e in logs(escrow, "EscrowPaid")} | {
            (*key(e), e.args.escrowId, "closed", e.args.outcome, e.args.buyerAmount)
            for e in logs(escrow, "EscrowClosed")
        }  # fmt: skip
        assert transitions == expected and len(expected) == 2

        wallets = conn.execute(select(MultisigWalletCreated.__table__)).all()
    engine.dispose()
    created = logs(factory, "WalletCreated")
    assert [(w.wallet, w.owners, w.threshold) for w in wallets] == [
        (_hex(e.args.wallet), [o.lower() for o in e.args.owners], e.args.threshold) for e in created
    ]
    assert len(wallets) == 1
