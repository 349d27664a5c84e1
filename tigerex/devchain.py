"""The well-known development chain: Anvil's and Hardhat's default mnemonic and its accounts.

These keys are public. They are accepted only on the local network; `Settings` refuses them
anywhere else.
"""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_ID = 31337
DEV_ACCOUNT_COUNT = 10


@cache
def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> tuple[LocalAccount, ...]:
    """The first ``count`` accounts of the dev mnemonic (m/44'/60'/0'/0/i), as Anvil makes them."""
    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    )


def is_dev_key(private_key: str) -> bool:
    key = private_key.lower().removeprefix("0x")
    return any(acct.key.hex().removeprefix("0x") == key for acct in dev_accounts())
