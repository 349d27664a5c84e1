"""``tigerex earn``: the admin side of staking, the launchpad and KYC attestations.

Keys never appear on the command line: ``--key-env NAME`` reads a private key from the
environment variable NAME, and ``--dev-account N`` uses Anvil's dev account N (local network
only). Contracts come from the deployments registry (``StakingPools``, ``Launchpad``,
``KYCRegistry``); tokens are named by deployments name (``TUSD``) or address. Amounts are decimal
strings in token units (``1250.5``), converted exactly with the token's decimals: more decimals
than the token has are refused, never rounded. Times are unix seconds, ``now``, or ``+DURATION``
from the chain's head (``+90m``, ``+2h``, ``+7d``); durations are seconds or ``30d`` / ``12h`` /
``45m`` / ``10s``.

Every transaction is simulated first (``eth_call``), so a revert prints the contract's custom
error (``error[transaction_reverted]: LaunchpadAlreadyStarted(...)``) and sends nothing.

The lottery seed (``commit-seed``) is 32 bytes from ``secrets``, written to a file only the
owner can read (default ``<data dir>/launchpad-seeds/<chain>-<launchpad>-<sale>.json``) before
its hash is committed; it is printed only by ``reveal-seed --show-seed``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from rich.console import Console
from web3.exceptions import ContractCustomError, ContractLogicError

from offchain.earn.amounts import format_units, to_base_units
from offchain.earn.errors import (
    AmountInvalid,
    AttesterRoleMissing,
    SeedFileInvalid,
    TokenUnknown,
    TransactionReverted,
)
from tigerex.chain import connect
from tigerex.deployments import BuildArtifacts, ContractRegistry, DeploymentsFile
from tigerex.devchain import dev_accounts
from tigerex.eip712 import domain, sign_typed_data, typed_data
from tigerex.errors import ConfigurationError
from tigerex.settings import get_settings

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(
    help="Earn and Launchpad admin: pools, rewards, sales, lottery seeds, KYC attestations.",
    no_args_is_help=True,
)

KeyEnv = Annotated[
    str | None, typer.Option("--key-env", help="Environment variable holding the private key.")
]
DevAccount = Annotated[
    int | None, typer.Option("--dev-account", help="Anvil dev account index (local only).")
]

EXIT_POLICIES = {"refused": 0, "treasury": 1, "stakers": 2}
PRICE_SCALE = 10**18
KYC_DOMAIN = ("TigerEx KYC", "1")
KYC_ATTESTATION_FIELDS = [
    {"name": "subject", "type": "address"},
    {"name": "level", "type": "uint8"},
    {"name": "expiresAt", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# ---------------------------------------------------------------------------------- plumbing


def _account(key_env: str | None, dev_account: int | None) -> LocalAccount:
    if key_env:
        key = os.environ.get(key_env)
        if not key:
            raise ConfigurationError(f"environment variable {key_env} is not set")
        account: LocalAccount = Account.from_key(key)
        return account
    if dev_account is not None:
        if not get_settings().is_local:
            raise ConfigurationError("--dev-account is only for the local network")
        return dev_accounts()[dev_account]
    raise ConfigurationError("give --key-env NAME (or --dev-account N on the local network)")


class Chain:
    """The node, the deployed suite and the sender."""

    def __init__(self, sender: LocalAccount | None = None) -> None:
        settings = get_settings()
        self.settings = settings
        self.w3 = connect(settings.rpc_url, expected_chain_id=settings.chain_id)
        self.registry = ContractRegistry(self.w3, DeploymentsFile.load(settings.deployments_file))
        self.sender = sender
        self._erc20_abi = BuildArtifacts().abi("TestToken")

    def contract(self, name: str) -> Any:
        return self.registry.contract(name)

    def token(self, name_or_address: str) -> Any:
        """A token by deployments name (``TUSD``) or address."""
        if re.fullmatch(r"0x[0-9a-fA-F]{40}", name_or_address):
            address = to_checksum_address(name_or_address)
        elif name_or_address in self.registry.deployments.contracts:
            address = self.registry.address(name_or_address)
        else:
            raise TokenUnknown(
                f"token {name_or_address!r} is neither an address nor a deployed contract "
                f"({', '.join(self.registry.names())})",
                details={"token": name_or_address},
            )
        return self.w3.eth.contract(address=address, abi=self._erc20_abi)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def send(self, call: Any, what: str) -> Any:
        """Simulate, then sign and send ``call`` from the sender; return the receipt.

        Raises:
            TransactionReverted: The simulation or the transaction reverted.
        """
        assert self.sender is not None
        sender = self.sender.address
        self.simulate(call, what)
        tx = call.build_transaction(
            {
                "from": sender,
                "nonce": self.w3.eth.get_transaction_count(sender, "pending"),
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = self.sender.sign_transaction(dict(tx))
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
        )
        if receipt["status"] != 1:
            raise TransactionReverted(
                f"{what} reverted in {receipt['transactionHash'].to_0x_hex()}",
                details={"call": what},
            )
        return receipt

    def simulate(self, call: Any, what: str) -> None:
        """``eth_call`` of ``call`` from the sender.

        Raises:
            TransactionReverted: It would revert (the contract's custom error in the message).
        """
        assert self.sender is not None
        try:
            call.call({"from": self.sender.address})
        except (ContractCustomError, ContractLogicError) as err:
            raise TransactionReverted(
                f"{what} would revert: {_revert_reason(call, err)}", details={"call": what}
            ) from err

    def view(self, call: Any, what: str) -> Any:
        """A view call; a revert is reported with the contract's custom error."""
        try:
            return call.call()
        except (ContractCustomError, ContractLogicError) as err:
            raise TransactionReverted(
                f"{what} reverted: {_revert_reason(call, err)}", details={"call": what}
            ) from err

    def approve(self, token: Any, spender: str, amount: int) -> None:
        """Approve exactly ``amount`` when the allowance is short."""
        assert self.sender is not None
        if token.functions.allowance(self.sender.address, spender).call() < amount:
            self.send(token.functions.approve(spender, amount), "approve")


def _revert_reason(call: Any, err: Exception) -> str:
    """The custom error's name and arguments, decoded with the contract's ABI."""
    data = getattr(err, "data", None)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        selector = data[2:10]
        for item in call.contract_abi:
            if item.get("type") != "error":
                continue
            types = [i["type"] for i in item.get("inputs", [])]
            signature = f"{item['name']}({','.join(types)})"
            if keccak(text=signature)[:4].hex() == selector:
                values = abi_decode(types, bytes.fromhex(data[10:]))
                return f"{item['name']}({', '.join(str(v) for v in values)})"
    return str(err)


def parse_duration(text: str) -> int:
    """``"30d"`` -> 2,592,000 seconds; plain digits are seconds."""
    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match:
        raise AmountInvalid(
            f"duration {text!r}: use seconds or a number with s/m/h/d (30d, 12h)",
            details={"duration": text},
        )
    return int(match.group(1)) * _UNITS.get(match.group(2) or "s", 1)


def parse_time(text: str, now: int) -> int:
    """Unix seconds, ``now``, or ``+DURATION`` after ``now``."""
    cleaned = text.strip()
    if cleaned == "now":
        return now
    if cleaned.startswith("+"):
        return now + parse_duration(cleaned[1:])
    if cleaned.isdigit():
        return int(cleaned)
    raise AmountInvalid(
        f"time {text!r}: use unix seconds, 'now' or '+DURATION' (+2h)", details={"time": text}
    )


def _decimals(token: Any) -> int:
    return int(token.functions.decimals().call())


def _units(token: Any, amount: str, *, allow_zero: bool = False) -> int:
    return to_base_units(amount, _decimals(token), allow_zero=allow_zero)


def _event(contract: Any, receipt: Any, name: str) -> Any:
    from web3.logs import DISCARD

    return getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)[0]


def sale_price(price: str, *, payment_decimals: int, sale_decimals: int) -> int:
    """The contract's price (payment base units per 1e18 sale base units) of ``price`` payment
    tokens per whole sale token, exactly.

    Raises:
        AmountInvalid: The price is not representable exactly (too many decimals).
    """
    per_token = to_base_units(price, payment_decimals + 18)  # scaled by 10^(pay + 18)
    scaled, remainder = divmod(per_token, 10**sale_decimals)
    if remainder:
        raise AmountInvalid(
            f"price {price} is not exact in base units (payment token has {payment_decimals} "
            f"decimals, sale token {sale_decimals})",
            details={"price": price},
        )
    return scaled


# -------------------------------------------------------------------------------------- staking


@app.command("create-pool")
def create_pool(
    staking_token: Annotated[str, typer.Option(help="Token staked (deployments name or address).")],
    lock: Annotated[
        list[str] | None,
        typer.Option(help="A lock option DURATION:BOOST_BPS, e.g. 30d:12500 (repeat, increasing)."),
    ] = None,
    exit_policy: Annotated[
        str, typer.Option(help="Early exit from a lock: refused | treasury | stakers.")
    ] = "refused",
    penalty_bps: Annotated[
        int, typer.Option(help="Early-exit penalty (with a penalty policy).")
    ] = 0,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Create a staking pool (admin). Lock option 0 (flexible) is implicit."""
    if exit_policy not in EXIT_POLICIES:
        raise AmountInvalid(
            f"exit policy {exit_policy!r}: use one of {', '.join(EXIT_POLICIES)}",
            details={"exit_policy": exit_policy},
        )
    durations, boosts = [], []
    for option in lock or []:
        duration, sep, boost = option.partition(":")
        if not sep or not boost.isdigit():
            raise AmountInvalid(
                f"lock {option!r}: use DURATION:BOOST_BPS (30d:12500)", details={"lock": option}
            )
        durations.append(parse_duration(duration))
        boosts.append(int(boost))
    chain = Chain(_account(key_env, dev_account))
    staking, token = chain.contract("StakingPools"), chain.token(staking_token)
    receipt = chain.send(
        staking.functions.createPool(
            token.address, durations, boosts, EXIT_POLICIES[exit_policy], penalty_bps
        ),
        "createPool",
    )
    pool_id = _event(staking, receipt, "PoolCreated").args.poolId
    console.print(
        f"pool {pool_id} created: stakes {token.functions.symbol().call()} ({token.address}), "
        f"{len(durations)} lock option(s) beside flexible, exit {exit_policy}"
    )


@app.command("add-reward-token")
def add_reward_token(
    pool_id: int,
    token: Annotated[str, typer.Option(help="Reward token (deployments name or address).")],
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Add a reward token to a pool (admin); it streams nothing until funded."""
    chain = Chain(_account(key_env, dev_account))
    reward = chain.token(token)
    chain.send(
        chain.contract("StakingPools").functions.addRewardToken(pool_id, reward.address),
        "addRewardToken",
    )
    console.print(f"pool {pool_id} rewards {reward.functions.symbol().call()} ({reward.address})")


@app.command("fund-rewards")
def fund_rewards(
    pool_id: int,
    token: Annotated[str, typer.Option(help="Reward token (deployments name or address).")],
    amount: Annotated[str, typer.Option(help="Token units, e.g. 1000.5 (0: restream the carry).")],
    duration: Annotated[str, typer.Option(help="Streaming period: 30d, 12h, or seconds.")],
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Fund a pool's reward stream (reward distributor): approve, then notifyRewardAmount."""
    chain = Chain(_account(key_env, dev_account))
    staking, reward = chain.contract("StakingPools"), chain.token(token)
    base = _units(reward, amount, allow_zero=True)
    seconds = parse_duration(duration)
    # Checked before the approval is sent: a funding that cannot succeed sends nothing.
    rewards = chain.view(staking.functions.poolInfo(pool_id), "poolInfo")[6]
    if reward.address not in rewards:
        raise TokenUnknown(
            f"{reward.address} is not a reward token of pool {pool_id}: "
            f"`tigerex earn add-reward-token {pool_id} --token ...` first",
            details={"pool_id": pool_id, "token": reward.address},
        )
    if base:
        chain.approve(reward, staking.address, base)
    receipt = chain.send(
        staking.functions.notifyRewardAmount(pool_id, reward.address, base, seconds),
        "notifyRewardAmount",
    )
    funded = _event(staking, receipt, "RewardFunded").args
    decimals = _decimals(reward)
    console.print(
        f"pool {pool_id} funded with {format_units(funded.received, decimals)} "
        f"{reward.functions.symbol().call()}; streams until {funded.periodFinish}"
    )


# ------------------------------------------------------------------------------------ launchpad


@app.command("create-sale")
def create_sale(
    sale_token: Annotated[str, typer.Option(help="Token sold (deployments name or address).")],
    payment_token: Annotated[str, typer.Option(help="Token paid (e.g. TUSD).")],
    price: Annotated[str, typer.Option(help="Payment tokens per whole sale token, e.g. 0.25.")],
    hard_cap: Annotated[str, typer.Option(help="Most raised, payment token units.")],
    soft_cap: Annotated[str, typer.Option(help="Below this the sale fails and refunds all.")],
    start: Annotated[str, typer.Option(help="First second of the sale (unix, now, +2h).")],
    end: Annotated[str, typer.Option(help="Last second of the sale (unix, +DURATION).")],
    max_buy: Annotated[str, typer.Option(help="Most one buyer commits, payment units.")],
    min_buy: Annotated[str, typer.Option(help="Least one buyer commits, payment units.")] = "0",
    treasury: Annotated[
        str | None, typer.Option(help="Receives proceeds and unsold tokens (default: sender).")
    ] = None,
    staking_pool: Annotated[
        int | None, typer.Option(help="StakingPools pool whose weights give tiers.")
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option(
            help="When tier weights are read (unix, +DURATION): before the start and, with tiers, "
            "not in the past, as StakingPools keeps weights only at snapshots scheduled ahead "
            "(default: the second before the start)."
        ),
    ] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            help="WEIGHT:ALLOCATION: weight in staking-token units (amount x boost), allocation "
            "in payment units (repeat, increasing weights)."
        ),
    ] = None,
    kyc_level: Annotated[int, typer.Option(help="KYC level buyers need (0: none).")] = 0,
    lottery: Annotated[bool, typer.Option(help="Draw the open part by lottery.")] = False,
    vesting_start: Annotated[
        str | None, typer.Option(help="TGE (unix, +DURATION; default: the sale's end).")
    ] = None,
    cliff: Annotated[str, typer.Option(help="Seconds after TGE before linear release.")] = "0",
    vesting_duration: Annotated[str, typer.Option(help="Linear release after the cliff.")] = "0",
    tge_bps: Annotated[int, typer.Option(help="Share unlocked at TGE, basis points.")] = 10_000,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Create a launchpad sale (sale manager). Deposit its tokens before the start."""
    chain = Chain(_account(key_env, dev_account))
    launchpad = chain.contract("Launchpad")
    sold, paid = chain.token(sale_token), chain.token(payment_token)
    pay_decimals = _decimals(paid)
    now = chain.now()
    start_time, end_time = parse_time(start, now), parse_time(end, now)
    staking_address = "0x" + "00" * 20
    thresholds: list[int] = []
    allocations: list[int] = []
    pool_id = 0
    if staking_pool is not None:
        staking = chain.contract("StakingPools")
        staking_address, pool_id = staking.address, staking_pool
        staked_token = chain.token(staking.functions.poolInfo(staking_pool).call()[0])
        for item in tier or []:
            weight, sep, allocation = item.partition(":")
            if not sep:
                raise AmountInvalid(f"tier {item!r}: use WEIGHT:ALLOCATION", details={"tier": item})
            thresholds.append(_units(staked_token, weight))
            allocations.append(to_base_units(allocation, pay_decimals))
    elif tier:
        raise AmountInvalid("tiers need --staking-pool", details={"tier": tier})
    params = (
        sold.address,
        paid.address,
        to_checksum_address(treasury) if treasury else chain.sender.address,  # type: ignore[union-attr]
        staking_address,
        pool_id,
        parse_time(snapshot, now) if snapshot else start_time - 1,
        start_time,
        end_time,
        sale_price(price, payment_decimals=pay_decimals, sale_decimals=_decimals(sold)),
        to_base_units(hard_cap, pay_decimals),
        to_base_units(soft_cap, pay_decimals, allow_zero=True),
        to_base_units(min_buy, pay_decimals, allow_zero=True),
        to_base_units(max_buy, pay_decimals),
        kyc_level,
        lottery,
        thresholds,
        allocations,
        (
            parse_time(vesting_start, now) if vesting_start else end_time,
            parse_duration(cliff),
            parse_duration(vesting_duration),
            tge_bps,
            False,
        ),
    )
    receipt = chain.send(launchpad.functions.createSale(params), "createSale")
    sale_id = _event(launchpad, receipt, "SaleCreated").args.saleId
    required = launchpad.functions.tokensFor(sale_id, params[9]).call()
    console.print(
        f"sale {sale_id} created: {sold.functions.symbol().call()} for "
        f"{paid.functions.symbol().call()}, open {start_time}..{end_time}; deposit at least "
        f"{format_units(required, _decimals(sold))} sale tokens before the start "
        f"(`tigerex earn deposit-sale-tokens {sale_id} --amount ...`)"
    )


@app.command("deposit-sale-tokens")
def deposit_sale_tokens(
    sale_id: int,
    amount: Annotated[str, typer.Option(help="Sale token units, e.g. 400000.")],
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Deposit sale tokens for a sale (before its start): approve, then depositSaleTokens."""
    chain = Chain(_account(key_env, dev_account))
    launchpad = chain.contract("Launchpad")
    # An unknown sale reverts here (LaunchpadUnknownSale) before anything is sent.
    sold = chain.token(chain.view(launchpad.functions.saleConfig(sale_id), "saleConfig")[0])
    base = _units(sold, amount)
    chain.approve(sold, launchpad.address, base)
    receipt = chain.send(launchpad.functions.depositSaleTokens(sale_id, base), "depositSaleTokens")
    deposited = _event(launchpad, receipt, "SaleTokensDeposited").args
    console.print(
        f"sale {sale_id}: {format_units(deposited.totalDeposited, _decimals(sold))} "
        f"{sold.functions.symbol().call()} deposited in all"
    )


def _seed_path(chain: Chain, launchpad: str, sale_id: int, seed_file: Path | None) -> Path:
    if seed_file is not None:
        return seed_file
    folder = chain.settings.data_dir / "launchpad-seeds"
    return folder / f"{chain.w3.eth.chain_id}-{launchpad.lower()}-{sale_id}.json"


def _read_seed(path: Path, chain_id: int, launchpad: str, sale_id: int) -> bytes:
    try:
        record = json.loads(path.read_text())
        seed = bytes(HexBytes(record["seed"]))
    except (OSError, ValueError, KeyError) as err:
        raise SeedFileInvalid(
            f"cannot read a seed from {path}: {err}", details={"path": str(path)}
        ) from err
    expected = {"chain_id": chain_id, "launchpad": launchpad.lower(), "sale_id": sale_id}
    found = {k: record.get(k) for k in expected}
    if found != expected or len(seed) != 32:
        raise SeedFileInvalid(
            f"{path} holds the seed of {found}, not of {expected}",
            details={"path": str(path), "file": found, "expected": expected},
        )
    return seed


@app.command("commit-seed")
def commit_seed(
    sale_id: int,
    seed_file: Annotated[
        Path | None, typer.Option(help="Where to keep the seed (default: the data dir).")
    ] = None,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Generate a lottery seed, keep it in a private file, commit its hash (before the start).

    Re-running after a failed commit reuses the seed already in the file.
    """
    chain = Chain(_account(key_env, dev_account))
    launchpad = chain.contract("Launchpad")
    chain_id = chain.w3.eth.chain_id
    path = _seed_path(chain, launchpad.address, sale_id, seed_file)
    existing = path.exists()
    seed = (
        _read_seed(path, chain_id, launchpad.address, sale_id)
        if existing
        else secrets.token_bytes(32)
    )
    seed_hash = keccak(seed)  # = keccak256(abi.encodePacked(bytes32 seed))
    commit = launchpad.functions.commitSeed(sale_id, seed_hash)
    # Simulated first: a commit the contract refuses (no lottery, started, committed) leaves
    # no seed file behind.
    chain.simulate(commit, "commitSeed")
    if not existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "chain_id": chain_id,
            "launchpad": launchpad.address.lower(),
            "sale_id": sale_id,
            "seed": "0x" + seed.hex(),
            "seed_hash": "0x" + seed_hash.hex(),
        }
        # Created owner-only (0600) and synced before anything is sent: a seed whose hash is
        # committed must never be lost, or the lottery falls back to pro rata.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(record, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
    chain.send(commit, "commitSeed")
    console.print(f"sale {sale_id}: seed hash 0x{seed_hash.hex()} committed")
    console.print(
        f"the seed is in {path} (owner-only): keep it secret and safe until the sale ends, "
        f"then `tigerex earn reveal-seed {sale_id}`"
    )


@app.command("reveal-seed")
def reveal_seed(
    sale_id: int,
    seed_file: Annotated[
        Path | None, typer.Option(help="The file commit-seed wrote (default: the data dir).")
    ] = None,
    show_seed: Annotated[bool, typer.Option(help="Also print the seed.")] = False,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Reveal the sale's lottery seed (after its end, before the reveal deadline)."""
    chain = Chain(_account(key_env, dev_account))
    launchpad = chain.contract("Launchpad")
    path = _seed_path(chain, launchpad.address, sale_id, seed_file)
    seed = _read_seed(path, chain.w3.eth.chain_id, launchpad.address, sale_id)
    receipt = chain.send(launchpad.functions.revealSeed(sale_id, seed), "revealSeed")
    revealed = _event(launchpad, receipt, "SeedRevealed").args
    console.print(
        f"sale {sale_id}: seed revealed, randomness 0x{bytes(revealed.randomness).hex()}, "
        f"first winning ticket {revealed.lotteryStart}"
    )
    if show_seed:
        console.print(f"seed 0x{seed.hex()}")


@app.command()
def finalize(sale_id: int, key_env: KeyEnv = None, dev_account: DevAccount = None) -> None:
    """End a sale after its end time: Succeeded (proceeds paid) or Failed (refunds open)."""
    chain = Chain(_account(key_env, dev_account))
    launchpad = chain.contract("Launchpad")
    receipt = chain.send(launchpad.functions.finalize(sale_id), "finalize")
    done = _event(launchpad, receipt, "SaleFinalized").args
    outcome = {2: "succeeded", 3: "failed"}.get(done.outcome, str(done.outcome))
    console.print(
        f"sale {sale_id} {outcome}: raised {done.raised}, proceeds {done.proceeds}, "
        f"fee {done.fee} (payment base units); {done.tokensReturned} sale base units returned"
    )


# ------------------------------------------------------------------------------------------ KYC


@app.command("attest-kyc")
def attest_kyc(
    subject: str,
    level: Annotated[int, typer.Option(help="KYC level (1 basic, 2 full, ...).", min=1, max=255)],
    expires: Annotated[str, typer.Option(help="When it lapses: unix or +DURATION (+365d).")],
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Record a KYC level directly (the sender holds ATTESTER_ROLE)."""
    chain = Chain(_account(key_env, dev_account))
    expires_at = parse_time(expires, chain.now())
    chain.send(
        chain.contract("KYCRegistry").functions.attest(
            to_checksum_address(subject), level, expires_at
        ),
        "attest",
    )
    console.print(f"{to_checksum_address(subject)} attested level {level} until {expires_at}")


def kyc_typed_data(
    *, chain_id: int, registry: str, subject: str, level: int, expires_at: int, nonce: int,
    deadline: int,
) -> dict[str, Any]:  # fmt: skip
    """The EIP-712 document of a KYC attestation (what ``attestWithSignature`` verifies)."""
    return typed_data(
        "Attestation",
        KYC_ATTESTATION_FIELDS,
        domain(*KYC_DOMAIN, chain_id, registry),
        {
            "subject": to_checksum_address(subject),
            "level": level,
            "expiresAt": expires_at,
            "nonce": nonce,
            "deadline": deadline,
        },
    )


@app.command("sign-kyc")
def sign_kyc(
    subject: str,
    level: Annotated[int, typer.Option(help="KYC level (1 basic, 2 full, ...).", min=1, max=255)],
    expires: Annotated[str, typer.Option(help="When it lapses: unix or +DURATION (+365d).")],
    deadline: Annotated[str, typer.Option(help="Signature void after: unix or +DURATION.")] = "+1d",
    out: Annotated[Path | None, typer.Option(help="Write the JSON here instead of stdout.")] = None,
    key_env: KeyEnv = None,
    dev_account: DevAccount = None,
) -> None:
    """Sign a KYC attestation off chain (the key holds ATTESTER_ROLE) for anyone to submit with
    ``attestWithSignature`` (``submit-kyc``). Bound to this chain, the registry and the subject's
    current nonce: usable once, and void after any later attestation or revocation."""
    signer = _account(key_env, dev_account)
    chain = Chain()
    registry = chain.contract("KYCRegistry")
    if not registry.functions.hasRole(
        registry.functions.ATTESTER_ROLE().call(), signer.address
    ).call():
        raise AttesterRoleMissing(
            f"{signer.address} does not hold ATTESTER_ROLE on {registry.address}: "
            "the registry would refuse its attestations",
            details={"signer": signer.address, "registry": registry.address},
        )
    now = chain.now()
    nonce = registry.functions.nonces(to_checksum_address(subject)).call()
    document = kyc_typed_data(
        chain_id=chain.w3.eth.chain_id,
        registry=registry.address,
        subject=subject,
        level=level,
        expires_at=parse_time(expires, now),
        nonce=nonce,
        deadline=parse_time(deadline, now),
    )
    signature = "0x" + sign_typed_data(document, signer.key).hex()
    payload = {"attestation": document["message"], "signature": signature, "typed_data": document}
    text = json.dumps(payload, indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n")
        console.print(f"signed attestation of {document['message']['subject']} written to {out}")


@app.command("submit-kyc")
def submit_kyc(
    attestation_file: Path, key_env: KeyEnv = None, dev_account: DevAccount = None
) -> None:
    """Submit a signed attestation (``sign-kyc`` output) with ``attestWithSignature``; any key
    pays the gas."""
    chain = Chain(_account(key_env, dev_account))
    try:
        payload = json.loads(attestation_file.read_text())
        a = payload["attestation"]
        attestation = (
            to_checksum_address(a["subject"]),
            int(a["level"]),
            int(a["expiresAt"]),
            int(a["nonce"]),
            int(a["deadline"]),
        )
        signature = bytes(HexBytes(payload["signature"]))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise AmountInvalid(
            f"{attestation_file} is not a sign-kyc attestation: {err}",
            details={"path": str(attestation_file)},
        ) from err
    chain.send(
        chain.contract("KYCRegistry").functions.attestWithSignature(attestation, signature),
        "attestWithSignature",
    )
    console.print(f"{attestation[0]} attested level {attestation[1]} until {attestation[2]}")
