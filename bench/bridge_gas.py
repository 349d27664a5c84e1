"""Gas per named operation of the bridge: lock, claim (mint and release) with 3-of-5 and 2-of-3
validator signatures, burn, rotation. Runs on Ape's in-process chain (same EVM rules as Anvil:
Cancun).

    .venv/bin/python bench/bridge_gas.py            # print, write bench/results/bridge_gas.json
    .venv/bin/python bench/bridge_gas.py --write    # ...and update bench/gas/bridge.json
    .venv/bin/python bench/bridge_gas.py --check    # exit 1 if the snapshot is out of date

Messages "from" the remote chain are signed in Python exactly as the validators sign them. The
snapshot is committed, so a change in gas shows up in review (as v4-core's snapshots/ do).
"""

from __future__ import annotations

import sys
from pathlib import Path

import gas_snapshot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SNAPSHOT = ROOT / "bench" / "gas" / "bridge.json"
RESULTS = ROOT / "bench" / "results" / "bridge_gas.json"
# A fixed clock, so cap windows and rotation deadlines (part of storage, not calldata here) are
# the same on every run.
START = 2_000_000_000
REMOTE_CHAIN_ID = 777
WINDOW = 86_400
GRACE_PERIOD = 3_600

GOALS = {"bridge_claim_mint_3of5": 100_000}
ANCHORS = {"bridge_claim_mint_3of5": "omni TokenBridge executeSignatures ~138,000"}


def measure() -> dict[str, int]:
    from ape import accounts, chain, networks, project
    from eth_account import Account
    from eth_utils import keccak, to_checksum_address

    from offchain.bridge.messages import (
        BridgeMessage,
        MessageKind,
        message_typed_data,
        pack_signatures,
        rotation_typed_data,
        sorted_validators,
    )
    from tigerex.eip712 import sign_typed_data

    def keys(label: str, count: int):
        found = [Account.from_key(keccak(text=f"bench {label} {i}")) for i in range(count)]
        return sorted(found, key=lambda k: int(k.address, 16))

    remote_bridge = to_checksum_address("0x" + keccak(text="bench remote bridge").hex()[-40:])
    remote_token = to_checksum_address("0x" + keccak(text="bench remote token").hex()[-40:])
    gas: dict[str, int] = {}
    with networks.ethereum.local.use_provider("test"):
        chain.pending_timestamp = START
        deployer, guardian, user, holder, relayer = (accounts.test_accounts[i] for i in range(5))
        fresh_recipients = iter(accounts.test_accounts[5:10])

        def deploy(validators, threshold):
            bridge = deployer.deploy(
                project.Bridge,
                deployer,
                guardian,
                sorted_validators([k.address for k in validators]),
                threshold,
                WINDOW,
                GRACE_PERIOD,
            )
            bridge.setRemoteBridge(REMOTE_CHAIN_ID, remote_bridge, sender=deployer)
            return bridge

        def claim(
            bridge,
            signers,
            nonce,
            recipient,
            kind=MessageKind.LOCK,
            token=remote_token,
            amount=10**18,
        ):
            message = BridgeMessage(
                kind=kind,
                src_chain_id=REMOTE_CHAIN_ID,
                src_bridge=remote_bridge,
                dst_chain_id=chain.chain_id,
                dst_bridge=bridge.address,
                nonce=nonce,
                token=token,
                recipient=str(recipient),
                amount=amount,
                epoch=bridge.epoch(),
            )
            typed = message_typed_data(message)
            signatures = pack_signatures(
                {k.address: sign_typed_data(typed, k.key) for k in signers}
            )
            return bridge.claim(message.as_tuple(), signatures, sender=relayer)

        # ----- 3-of-5, destination role: mint
        five = keys("five", 5)
        bridge = deploy(five, 3)
        receipt = bridge.createBridgedToken(
            REMOTE_CHAIN_ID, remote_token, "Bridged", "bTKN", 18, sender=deployer
        )
        gas["bridge_create_bridged_token"] = receipt.gas_used
        wrapped = project.BridgedToken.at(receipt.events[-1].bridgedToken)
        bridge.setTokenLimit(wrapped, 10**30, sender=deployer)
        gas["bridge_claim_mint_3of5_first_ever"] = claim(bridge, five[:3], 0, holder).gas_used
        # Steady state: the recipient holds the token, the nonce's claimed word and the cap
        # word are already non-zero (one word per 256 nonces of a source).
        gas["bridge_claim_mint_3of5"] = claim(bridge, five[:3], 1, holder).gas_used
        gas["bridge_claim_mint_3of5_new_holder"] = claim(
            bridge, five[:3], 2, next(fresh_recipients)
        ).gas_used
        gas["bridge_claim_mint_5of5"] = claim(bridge, five, 3, holder).gas_used

        # ----- burn (destination role, back to the origin)
        gas["bridge_burn"] = bridge.burn(wrapped, 10**17, holder, sender=holder).gas_used

        # ----- source role: lock and release
        token = deployer.deploy(project.TestToken, "Test USD Coin", "tUSDC", 6, deployer)
        token.mint(user, 10**15, sender=deployer)
        token.mint(holder, 1, sender=deployer)
        token.approve(bridge, 2**256 - 1, sender=user)
        bridge.setTokenLimit(token, 10**30, sender=deployer)
        gas["bridge_lock_erc20_first"] = bridge.lock(
            token, 10**12, REMOTE_CHAIN_ID, user, sender=user
        ).gas_used
        gas["bridge_lock_erc20"] = bridge.lock(
            token, 10**12, REMOTE_CHAIN_ID, user, sender=user
        ).gas_used
        gas["bridge_claim_release_3of5"] = claim(
            bridge, five[:3], 4, holder, kind=MessageKind.BURN, token=token.address, amount=10**6
        ).gas_used

        # ----- rotation: 3 of the current 5 install a new 5
        new_five = keys("new five", 5)
        new_addresses = sorted_validators([k.address for k in new_five])
        typed = rotation_typed_data(
            bridge=bridge.address,
            chain_id=chain.chain_id,
            epoch=1,
            validators=new_addresses,
            threshold=3,
        )
        signatures = pack_signatures({k.address: sign_typed_data(typed, k.key) for k in five[:3]})
        gas["bridge_rotate_5_validators"] = bridge.rotateValidators(
            new_addresses, 3, signatures, sender=relayer
        ).gas_used
        gas["bridge_claim_mint_3of5_new_epoch"] = claim(bridge, new_five[:3], 5, holder).gas_used

        # ----- 2-of-3 (the `tigerex up --bridge` set-up)
        three = keys("three", 3)
        small = deploy(three, 2)
        receipt = small.createBridgedToken(
            REMOTE_CHAIN_ID, remote_token, "Bridged", "bTKN", 18, sender=deployer
        )
        small_wrapped = project.BridgedToken.at(receipt.events[-1].bridgedToken)
        small.setTokenLimit(small_wrapped, 10**30, sender=deployer)
        claim(small, three[:2], 0, holder)
        gas["bridge_claim_mint_2of3"] = claim(small, three[:2], 1, holder).gas_used
    return dict(sorted(gas.items()))


def main() -> int:
    return gas_snapshot.main(
        __doc__, __file__, measure, snapshot=SNAPSHOT, results=RESULTS, goals=GOALS, anchors=ANCHORS
    )


if __name__ == "__main__":
    sys.exit(main())
