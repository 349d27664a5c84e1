"""Gas per named operation of the launchpad and the vesting vault. Runs on Ape's in-process chain
(same EVM rules as Anvil: Cancun).

    .venv/bin/python bench/launchpad_gas.py          # print, write bench/results/launchpad_gas.json
    .venv/bin/python bench/launchpad_gas.py --write  # ...and update bench/gas/launchpad.json
    .venv/bin/python bench/launchpad_gas.py --check  # exit 1 if the snapshot is out of date

The snapshot is committed, so a change in gas shows up in review (as v4-core's snapshots/ do).
Tiers are read from the real StakingPools: creating a tiered sale schedules its snapshot there,
and a buyer's first purchase reads the weight at it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gas_snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "bench" / "gas" / "launchpad.json"
RESULTS = ROOT / "bench" / "results" / "launchpad_gas.json"
ZERO = "0x0000000000000000000000000000000000000000"
# Fixed times, so calldata (and with it gas: a zero byte costs 4, another 16) is the same on
# every run; the chain's own clock would make the snapshot flap.
T0 = 2_000_000_000
DAY = 86_400
USD = 10**6
SEED = b"\x42" * 32

# Goal from the issue (the common path: a later claim by a beneficiary who already holds the
# token), and public anchors for comparison.
GOALS = {"vesting_claim": 60_000}
ANCHORS = {"vesting_claim": "OpenZeppelin VestingWallet.release(token) ~ 50,000-60,000"}


def measure() -> dict[str, int]:
    from ape import accounts, chain, networks, project
    from eth_utils import keccak

    gas: dict[str, int] = {}
    with networks.ethereum.local.use_provider("test"):
        deployer, alice, bob, carol, treasury, fees = (accounts.test_accounts[i] for i in range(6))
        kyc = deployer.deploy(project.KYCRegistry, deployer)
        kyc.grantRole(kyc.ATTESTER_ROLE(), deployer, sender=deployer)
        vault = deployer.deploy(project.VestingVault, deployer)
        pad = deployer.deploy(project.Launchpad, deployer, kyc, vault, fees, 250, 2 * DAY)
        vault.grantRole(vault.SCHEDULER_ROLE(), pad, sender=deployer)
        vault.grantRole(vault.SCHEDULER_ROLE(), deployer, sender=deployer)
        vault.grantRole(vault.REVOKER_ROLE(), deployer, sender=deployer)
        staking = deployer.deploy(project.StakingPools, deployer, treasury)
        staking.grantRole(staking.SNAPSHOT_ROLE(), pad, sender=deployer)
        tusd = deployer.deploy(project.TestToken, "Test USD", "tUSD", 6, deployer)
        token = deployer.deploy(project.TestToken, "Project", "PRJ", 18, deployer)
        token.mint(deployer, 10**30, sender=deployer)
        token.approve(pad, 2**256 - 1, sender=deployer)
        token.approve(vault, 2**256 - 1, sender=deployer)
        for buyer in (alice, bob, carol):
            tusd.mint(buyer, 10**6 * USD, sender=deployer)
            tusd.approve(pad, 2**256 - 1, sender=buyer)
            kyc.attest(buyer, 1, 2**40, sender=deployer)
            token.mint(buyer, 1, sender=deployer)  # holders already: the common claim path
        # Pool 0, flexible only: alice stakes 5,000 base units (weight 5,000, the top tier).
        stk = deployer.deploy(project.TestToken, "Stake", "STK", 18, deployer)
        stk.mint(alice, 5_000, sender=deployer)
        stk.approve(staking, 5_000, sender=alice)
        staking.createPool(stk, [], [], 0, 0, sender=deployer)
        chain.pending_timestamp = T0
        staking.stake(0, 0, 5_000, sender=alice)

        def params(start, *, lottery=False, soft_cap=1_000 * USD, kyc_level=1):
            end = start + DAY
            return (
                token.address, tusd.address, treasury.address, staking.address, 0,
                start - 3600, start, end, USD // 2, 10_000 * USD, soft_cap, 10 * USD,
                8_000 * USD, kyc_level, lottery, [1_000, 4_000], [500 * USD, 2_000 * USD],
                (end + DAY, 30 * DAY, 90 * DAY, 2_000, False),
            )  # fmt: skip

        def new_sale(start, **kwargs):
            chain.pending_timestamp = start - 2 * 3600
            receipt = pad.createSale(params(start, **kwargs), sender=deployer)
            sale_id = next(e for e in receipt.events if e.event_name == "SaleCreated").saleId
            return receipt, sale_id

        # ----- a tiered, KYC'd, oversubscribed sale: create, deposit, buy, finalize, settle
        start = T0 + DAY
        receipt, sale = new_sale(start)
        gas["launchpad_create_sale_2_tiers"] = receipt.gas_used
        gas["launchpad_deposit_sale_tokens"] = pad.depositSaleTokens(
            sale, 20_000 * 10**18, sender=deployer
        ).gas_used
        chain.pending_timestamp = start
        gas["launchpad_buy_first_tiered_kyc"] = pad.buy(sale, 6_000 * USD, sender=alice).gas_used
        gas["launchpad_buy_again"] = pad.buy(sale, 1_000 * USD, sender=alice).gas_used
        pad.buy(sale, 5_000 * USD, sender=bob)
        pad.buy(sale, 3_000 * USD, sender=carol)
        chain.pending_timestamp = start + DAY + 1
        gas["launchpad_finalize_success"] = pad.finalize(sale, sender=bob).gas_used
        gas["launchpad_settle_first_vests_and_refunds"] = pad.settle(sale, sender=alice).gas_used
        gas["launchpad_settle_vests_and_refunds"] = pad.settle(sale, sender=bob).gas_used
        pad.settle(sale, sender=carol)
        gas["launchpad_sweep_remainder"] = pad.sweepRemainder(sale, sender=bob).gas_used

        # ----- vesting of alice's tokens: TGE claim, linear claims, claimFor
        sid = 0
        vest_start = start + 2 * DAY
        chain.pending_timestamp = vest_start
        gas["vesting_claim"] = vault.claim(sid, sender=alice).gas_used  # TGE unlock
        chain.pending_timestamp = vest_start + 30 * DAY + 45 * DAY
        gas["vesting_claim_linear"] = vault.claim(sid, sender=alice).gas_used
        chain.pending_timestamp = vest_start + 30 * DAY + 60 * DAY
        gas["vesting_claim_for"] = vault.claimFor(1, bob, sender=carol).gas_used
        fresh = accounts.test_accounts[9]
        r = vault.createSchedule(
            fresh, token, 10**24, (vest_start, 0, 90 * DAY, 1_000, True), sender=deployer
        )
        gas["vesting_create_schedule_revocable"] = r.gas_used
        team = r.events[-1].scheduleId
        gas["vesting_claim_new_holder"] = vault.claim(team, sender=fresh).gas_used
        gas["vesting_revoke"] = vault.revoke(team, fresh, treasury, sender=deployer).gas_used

        # ----- a lottery sale: seed commit, entry, reveal, finalize with the draw
        start = T0 + 200 * DAY
        _, lot = new_sale(start, lottery=True, kyc_level=0)
        pad.depositSaleTokens(lot, 20_000 * 10**18, sender=deployer)
        gas["launchpad_commit_seed"] = pad.commitSeed(lot, keccak(SEED), sender=deployer).gas_used
        chain.pending_timestamp = start
        gas["launchpad_buy_lottery_entry"] = pad.buy(lot, 8_000 * USD, sender=bob).gas_used
        pad.buy(lot, 8_000 * USD, sender=carol)
        chain.pending_timestamp = start + DAY + 1
        gas["launchpad_reveal_seed"] = pad.revealSeed(lot, SEED, sender=deployer).gas_used
        gas["launchpad_finalize_lottery"] = pad.finalize(lot, sender=bob).gas_used
        gas["launchpad_settle_lottery"] = pad.settle(lot, sender=bob).gas_used

        # ----- a failed sale: finalize returns the tokens, buyers refund in full
        start = T0 + 400 * DAY
        _, failed = new_sale(start, soft_cap=10_000 * USD)
        pad.depositSaleTokens(failed, 20_000 * 10**18, sender=deployer)
        chain.pending_timestamp = start
        pad.buy(failed, 100 * USD, sender=bob)
        chain.pending_timestamp = start + DAY + 1
        gas["launchpad_finalize_failed"] = pad.finalize(failed, sender=bob).gas_used
        gas["launchpad_refund"] = pad.refund(failed, sender=bob).gas_used
    return dict(sorted(gas.items()))


def main() -> int:
    return gas_snapshot.main(
        __doc__, __file__, measure, snapshot=SNAPSHOT, results=RESULTS, goals=GOALS, anchors=ANCHORS
    )


if __name__ == "__main__":
    sys.exit(main())
