"""Gas per named operation of the custody contracts: multisig wallet and factory, P2P escrow,
KYC registry. Runs on Ape's in-process chain (same EVM rules as Anvil: Cancun).

    .venv/bin/python bench/custody_gas.py            # print, write bench/results/custody_gas.json
    .venv/bin/python bench/custody_gas.py --write    # ...and update bench/gas/custody.json
    .venv/bin/python bench/custody_gas.py --check    # exit 1 if the snapshot is out of date

The snapshot is committed, so a change in gas shows up in review (as v4-core's snapshots/ do).
"""

from __future__ import annotations

import sys
from pathlib import Path

import gas_snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "bench" / "gas" / "custody.json"
RESULTS = ROOT / "bench" / "results" / "custody_gas.json"
ZERO = "0x0000000000000000000000000000000000000000"
# Fixed times, so calldata (and with it gas: a zero byte costs 4, another 16) and every signed
# digest are the same on every run; the chain's own clock would make the snapshot flap.
START = 2_000_000_000
FAR_FUTURE = 2**32 - 1
WINDOW = 7 * 86400  # the longest payment window: every step below fits inside it

# Goals from the issue, and public anchors for comparison.
GOALS = {
    "multisig_2of3_erc20_transfer": 70_000,
    "escrow_open_erc20": 90_000,
    "escrow_release": 60_000,
}
ANCHORS = {"multisig_2of3_erc20_transfer": "Safe documents ~77,000 with two signatures"}


def measure() -> dict[str, int]:
    from ape import accounts, chain, networks, project

    from offchain.custody.multisig import (
        MultisigTransaction,
        Operation,
        ecdsa,
        message_typed_data,
        pack_signatures,
        transaction_typed_data,
    )
    from offchain.p2p.escrow import Action, instruction_typed_data, settlement_typed_data
    from tigerex.eip712 import sign_typed_data

    gas: dict[str, int] = {}
    with networks.ethereum.local.use_provider("test"):
        clock = iter(range(START, START + 10**7, 10_000))  # steps longer than any wait below
        deployer, seller, buyer, arbiter, relayer = (accounts.test_accounts[i] for i in range(5))
        owners = sorted(accounts.test_accounts[5:8], key=lambda a: int(a.address, 16))

        # ----- multisig
        factory = deployer.deploy(project.MultisigFactory)
        receipt = factory.createWallet([o.address for o in owners], 2, 0, sender=deployer)
        gas["multisig_factory_create_2of3"] = receipt.gas_used
        wallet = project.MultisigWallet.at(receipt.events[-1].wallet)
        token = deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)
        token.mint(wallet, 10**15, sender=deployer)
        token.mint(buyer, 1, sender=deployer)  # an account that already holds the token
        deployer.transfer(wallet, 10**18)

        def execute(signers, to, value=0, data=b""):
            tx = MultisigTransaction(
                wallet=wallet.address,
                chain_id=chain.chain_id,
                to=str(to),
                value=value,
                data=bytes(data),
                operation=Operation.CALL,
                nonce=wallet.call_view_method("nonce"),
            )
            typed = transaction_typed_data(tx)
            sigs = pack_signatures(
                [ecdsa(s.address, sign_typed_data(typed, s.private_key)) for s in signers]
            )
            return wallet.execTransaction(tx.to, value, tx.data, 0, sigs, sender=relayer)

        gas["multisig_2of3_erc20_transfer"] = execute(
            owners[:2], token, data=token.transfer.encode_input(buyer, 1_000)
        ).gas_used
        fresh = accounts.test_accounts[9]
        gas["multisig_2of3_erc20_transfer_new_holder"] = execute(
            owners[:2], token, data=token.transfer.encode_input(fresh, 1_000)
        ).gas_used
        gas["multisig_2of3_eth_transfer"] = execute(owners[:2], buyer, value=10**15).gas_used
        gas["multisig_3of3_erc20_transfer"] = execute(
            owners, token, data=token.transfer.encode_input(buyer, 1_000)
        ).gas_used

        # ----- KYC
        kyc = deployer.deploy(project.KYCRegistry, deployer)
        kyc.grantRole(kyc.ATTESTER_ROLE(), deployer, sender=deployer)
        gas["kyc_attest"] = kyc.attest(seller, 2, FAR_FUTURE, sender=deployer).gas_used

        # ----- escrow
        escrow = deployer.deploy(project.Escrow, deployer, kyc, 50, 3600, 7 * 86400)
        escrow.grantRole(escrow.ARBITER_ROLE(), arbiter, sender=deployer)
        token.mint(seller, 10**15, sender=deployer)
        token.approve(escrow, 2**256 - 1, sender=seller)

        def open_escrow(amount=10**9):
            chain.pending_timestamp = next(clock)  # fixes paymentDeadline, part of later calldata
            r = escrow.open(buyer, token, amount, b"\x01" * 32, WINDOW, 0, ZERO, sender=seller)
            ev = next(e for e in r.events if e.event_name == "EscrowOpened")
            params = (
                ev.seller,
                ev.buyer,
                ev.token,
                ev.amount,
                ev.termsHash,
                ev.paymentDeadline,
                ev.feeBps,
                ev.kycLevel,
                ev.arbiter,
            )
            return r, ev.escrowId, params

        # Steady state: the contract already holds the token and has accrued fees in it. The
        # first-ever release also pays for the fee accumulator's first write; recorded apart.
        _, warm_id, warm = open_escrow()
        first_release = escrow.release(warm_id, warm, sender=seller)
        gas["escrow_release_first_fee_in_token"] = first_release.gas_used
        open_escrow()
        r, first_id, first = open_escrow()
        gas["escrow_open_erc20"] = r.gas_used
        chain.pending_timestamp = next(clock)
        r = escrow.open(
            buyer, ZERO, 10**18, b"\x01" * 32, WINDOW, 0, ZERO, sender=seller, value=10**18
        )
        gas["escrow_open_eth"] = r.gas_used
        gas["escrow_mark_paid"] = escrow.markPaid(first_id, first, sender=buyer).gas_used
        gas["escrow_release"] = escrow.release(first_id, first, sender=seller).gas_used
        _, cid, cparams = open_escrow()
        gas["escrow_cancel_by_buyer"] = escrow.cancel(cid, cparams, sender=buyer).gas_used

        _, did, dparams = open_escrow()
        escrow.markPaid(did, dparams, sender=buyer)
        chain.pending_timestamp = next(clock) + 3601
        gas["escrow_open_dispute"] = escrow.openDispute(did, dparams, sender=buyer).gas_used
        gas["escrow_resolve_split"] = escrow.resolve(did, dparams, 5_000, sender=arbiter).gas_used

        _, sid, sparams = open_escrow()
        deadline = FAR_FUTURE
        typed = settlement_typed_data(
            escrow=escrow.address,
            chain_id=chain.chain_id,
            escrow_id=sid,
            buyer_bps=7_000,
            deadline=deadline,
        )
        gas["escrow_settle_signed_split"] = escrow.settle(
            sparams,
            (sid, 7_000, deadline),
            sign_typed_data(typed, seller.private_key),
            sign_typed_data(typed, buyer.private_key),
            sender=relayer,
        ).gas_used

        _, gid, gparams = open_escrow()
        typed = instruction_typed_data(
            escrow=escrow.address,
            chain_id=chain.chain_id,
            escrow_id=gid,
            action=Action.RELEASE,
            deadline=deadline,
        )
        gas["escrow_gasless_release"] = escrow.execute(
            gparams,
            (gid, int(Action.RELEASE), deadline),
            sign_typed_data(typed, seller.private_key),
            sender=relayer,
        ).gas_used
        assert message_typed_data  # EIP-1271 paths are measured by the tests, not here
    return dict(sorted(gas.items()))


def main() -> int:
    return gas_snapshot.main(
        __doc__, __file__, measure, snapshot=SNAPSHOT, results=RESULTS, goals=GOALS, anchors=ANCHORS
    )


if __name__ == "__main__":
    sys.exit(main())
