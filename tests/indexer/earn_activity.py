"""Staking, launchpad and vesting driven from Anvil's unlocked dev accounts, as any wallet would:
every event of ``StakingPools``, ``Launchpad`` and ``VestingVault`` happens at least once in
``EarnActivity.everything``.

Tokens of the local suite: pool 0 (created by the deploy) stakes TUSD (6 decimals) for TUSD
rewards with 30/90/180-day locks and a 10% early-exit penalty streamed to stakers; sales sell
tWETH (18 decimals) for TUSD. Account 0 (the deployer) holds every admin role locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD

from tigerex.deployments import ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.node import rpc_call

TUSD = 10**6
WETH = 10**18
# 2 TUSD per tWETH: PRICE payment base units buy 1e18 sale base units.
PRICE = 2 * TUSD
ZERO = "0x" + "00" * 20
SEED = b"\x42" * 32


@dataclass
class Sale:
    sale_id: int
    start: int
    end: int
    vesting_start: int


class EarnActivity:
    """Drives the deployed earn contracts (account 0 is the admin and pays)."""

    def __init__(self, w3: Web3, suite: ContractRegistry, rpc_url: str) -> None:
        self.w3 = w3
        self.rpc_url = rpc_url
        self.accounts = [a.address for a in dev_accounts()]
        self.admin = self.accounts[0]
        self.staking = suite.contract("StakingPools")
        self.launchpad = suite.contract("Launchpad")
        self.vault = suite.contract("VestingVault")
        self.kyc = suite.contract("KYCRegistry")
        self.tusd = suite.contract("TUSD")
        self.weth = suite.contract("tWETH")
        self.usdc = suite.contract("tUSDC")

    # ------------------------------------------------------------------------------- plumbing

    def send(self, fn: Any, sender: str | None = None) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            fn.transact({"from": sender or self.admin})
        )
        assert receipt["status"] == 1
        return receipt

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def mine_at(self, timestamp: int) -> None:
        """Mine an empty block at ``timestamp`` (later transactions come after it)."""
        rpc_call(self.rpc_url, "evm_mine", [timestamp])

    def mint_tusd(self, to: str, amount: int) -> None:
        self.send(self.tusd.functions.mint(to, amount, b"\x05" * 32))

    # -------------------------------------------------------------------------------- staking

    def stake(self, account: str, amount: int, lock_index: int = 0, pool_id: int = 0) -> None:
        self.mint_tusd(account, amount)
        self.send(self.tusd.functions.approve(self.staking.address, amount), account)
        self.send(self.staking.functions.stake(pool_id, lock_index, amount), account)

    def withdraw(self, account: str, amount: int, lock_index: int = 0, pool_id: int = 0) -> None:
        self.send(self.staking.functions.withdraw(pool_id, lock_index, amount), account)

    def claim_rewards(self, account: str, pool_id: int = 0) -> None:
        self.send(self.staking.functions.claim(pool_id), account)

    def compound(self, account: str, lock_index: int = 0, pool_id: int = 0) -> None:
        self.send(self.staking.functions.compound(pool_id, lock_index), account)

    def emergency(self, account: str, pool_id: int = 0) -> None:
        self.send(self.staking.functions.pause())
        self.send(self.staking.functions.emergencyWithdraw(pool_id), account)
        self.send(self.staking.functions.unpause())

    def usdc_pool(self) -> int:
        """A second pool (TUSD staked, tUSDC rewards, early exit refused), funded while nobody
        stakes in it, so its streamed rewards go to the carry."""
        receipt = self.send(
            self.staking.functions.createPool(self.tusd.address, [3600], [15_000], 0, 0)
        )
        pool_id = self.staking.events.PoolCreated().process_receipt(receipt, errors=DISCARD)[0]
        pool_id = pool_id.args.poolId
        self.send(self.staking.functions.addRewardToken(pool_id, self.usdc.address))
        self.send(self.usdc.functions.approve(self.staking.address, 1_000 * 10**6))
        self.send(
            self.staking.functions.notifyRewardAmount(
                pool_id, self.usdc.address, 1_000 * 10**6, 7 * 86400
            )
        )
        return int(pool_id)

    def recover_carry_and_sweep(self, pool_id: int) -> None:
        self.mine_at(self.now() + 3600)
        self.send(
            self.staking.functions.recoverCarriedRewards(pool_id, self.usdc.address, self.admin)
        )
        # A donation: above principal and reserves, so the admin may sweep it.
        self.send(self.usdc.functions.transfer(self.staking.address, 123))
        self.send(self.staking.functions.sweep(self.usdc.address, self.admin))
        self.send(self.staking.functions.setTreasury(self.accounts[9]))

    # ------------------------------------------------------------------------------ launchpad

    def attest(self, *accounts: str, level: int = 1) -> None:
        for account in accounts:
            self.send(self.kyc.functions.attest(account, level, self.now() + 365 * 86400))

    def create_sale(
        self,
        *,
        hard_cap: int = 1_000 * TUSD,
        soft_cap: int = 500 * TUSD,
        max_buy: int = 1_000 * TUSD,
        lottery: bool = False,
        tiers: tuple[list[int], list[int]] = ([], []),
        kyc_level: int = 0,
        seed: bytes | None = None,
        deposit: bool = True,
        start_in: int = 100,
    ) -> Sale:
        now = self.now()
        start, end = now + start_in, now + start_in + 100
        vesting = (end + 10, 0, 1_000, 2_500, False)
        params = (
            self.weth.address,
            self.tusd.address,
            self.accounts[8],
            self.staking.address if tiers[0] else ZERO,
            0,
            # The snapshot is scheduled on StakingPools by createSale, so it may not lie in the
            # past when that transaction is mined: halfway to the start.
            now + start_in // 2,
            start,
            end,
            PRICE,
            hard_cap,
            soft_cap,
            1 * TUSD,
            max_buy,
            kyc_level,
            lottery,
            tiers[0],
            tiers[1],
            vesting,
        )
        receipt = self.send(self.launchpad.functions.createSale(params))
        created = self.launchpad.events.SaleCreated().process_receipt(receipt, errors=DISCARD)[0]
        sale_id = int(created.args.saleId)
        if deposit:
            tokens = hard_cap * 10**18 // PRICE
            self.send(self.weth.functions.mint(self.admin, tokens))
            self.send(self.weth.functions.approve(self.launchpad.address, tokens))
            self.send(self.launchpad.functions.depositSaleTokens(sale_id, tokens))
        if seed is not None:
            self.send(self.launchpad.functions.commitSeed(sale_id, keccak(seed)))
        return Sale(sale_id, start, end, vesting[0])

    def buy(self, sale: Sale, buyer: str, amount: int) -> None:
        if self.now() < sale.start:
            self.mine_at(sale.start)
        self.mint_tusd(buyer, amount)
        self.send(self.tusd.functions.approve(self.launchpad.address, amount), buyer)
        self.send(self.launchpad.functions.buy(sale.sale_id, amount), buyer)

    def end(self, sale: Sale) -> None:
        if self.now() <= sale.end:
            self.mine_at(sale.end + 1)

    def finalize(self, sale: Sale) -> None:
        self.end(sale)
        self.send(self.launchpad.functions.finalize(sale.sale_id))

    def settle(self, sale: Sale, buyer: str) -> int:
        receipt = self.send(self.launchpad.functions.settle(sale.sale_id), buyer)
        done = self.launchpad.events.Settled().process_receipt(receipt, errors=DISCARD)[0]
        return int(done.args.scheduleId)

    # -------------------------------------------------------------------------------- scenario

    def everything(self) -> dict[str, Any]:
        """Every event of the three contracts at least once; returns what was done."""
        a = self.accounts
        staker, flexible, buyer_one, buyer_two = a[1], a[2], a[3], a[4]
        # Staking pool 0 (deploy-created): a locked and a flexible position, rewards, compound.
        self.stake(buyer_one, 200 * TUSD, lock_index=1)  # 1.25x: weight 250 TUSD
        self.stake(staker, 100 * TUSD, lock_index=1)
        self.stake(flexible, 50 * TUSD)
        self.mine_at(self.now() + 3600)
        self.claim_rewards(staker)
        self.compound(flexible)
        self.mine_at(self.now() + 600)
        # Early: 10% penalty to the stakers. It also settles the streams, so the flexible
        # staker's rewards since its compound are forfeited by the emergency exit.
        self.withdraw(staker, 40 * TUSD, lock_index=1)
        self.emergency(flexible)
        pool = self.usdc_pool()
        self.recover_carry_and_sweep(pool)

        # A lottery sale with tiers from pool 0 and KYC: oversubscribed, drawn, settled, vested.
        self.attest(buyer_one, buyer_two)
        sale = self.create_sale(
            lottery=True,
            tiers=([100 * TUSD], [300 * TUSD]),
            kyc_level=1,
            seed=SEED,
        )
        self.buy(sale, buyer_one, 400 * TUSD)
        self.buy(sale, buyer_two, 900 * TUSD)
        self.end(sale)
        self.send(self.launchpad.functions.revealSeed(sale.sale_id, SEED))
        self.finalize(sale)
        schedule_one = self.settle(sale, buyer_one)
        schedule_two = self.settle(sale, buyer_two)
        self.send(self.launchpad.functions.sweepRemainder(sale.sale_id))
        self.mine_at(sale.vesting_start + 400)
        self.send(self.vault.functions.claim(schedule_one), buyer_one)
        self.send(self.vault.functions.claimFor(schedule_two, buyer_two))

        # A sale that misses its soft cap (refund), one cancelled, a new fee.
        failed = self.create_sale(soft_cap=900 * TUSD)
        self.buy(failed, buyer_two, 100 * TUSD)
        self.finalize(failed)
        self.send(self.launchpad.functions.refund(failed.sale_id), buyer_two)
        cancelled = self.create_sale()
        self.send(self.launchpad.functions.cancelSale(cancelled.sale_id))
        self.send(self.launchpad.functions.setFee(300, a[7]))

        # A revocable team grant, revoked halfway.
        grant = 1_000 * WETH
        self.send(self.weth.functions.mint(self.admin, grant))
        self.send(self.weth.functions.approve(self.vault.address, grant))
        now = self.now()
        receipt = self.send(
            self.vault.functions.createSchedule(
                a[5], self.weth.address, grant, (now, 0, 1_000, 0, True)
            )
        )
        created = self.vault.events.ScheduleCreated().process_receipt(receipt, errors=DISCARD)[0]
        team = int(created.args.scheduleId)
        self.mine_at(now + 500)
        self.send(self.vault.functions.revoke(team, a[5], self.admin))
        return {
            "sale": sale,
            "failed": failed,
            "cancelled": cancelled,
            "schedules": {buyer_one: schedule_one, buyer_two: schedule_two, a[5]: team},
            "pool": pool,
            "stakers": (staker, flexible, buyer_one),
            "buyers": (buyer_one, buyer_two),
        }
