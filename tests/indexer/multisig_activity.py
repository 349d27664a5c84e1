"""Multisig wallets used the way any tool would, without our propose/sign API: created by the
factory, then executions signed with the owners' keys and submitted directly."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from offchain.custody.multisig import (
    MultisigTransaction,
    Operation,
    ecdsa,
    pack_signatures,
    transaction_typed_data,
)
from tigerex.deployments import BuildArtifacts, ContractRegistry
from tigerex.devchain import dev_accounts
from tigerex.eip712 import sign_typed_data

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def by_address(accounts: list[LocalAccount]) -> list[LocalAccount]:
    return sorted(accounts, key=lambda a: int(a.address, 16))


class WalletActivity:
    """Creates factory wallets and drives them from Anvil's dev accounts (account 0 pays)."""

    def __init__(self, w3: Web3, suite: ContractRegistry) -> None:
        self.w3 = w3
        self.factory = suite.contract("MultisigFactory")
        self.abi = BuildArtifacts().abi("MultisigWallet")
        self.accounts = dev_accounts()
        self.payer = self.accounts[0].address

    def _send(self, fn: Any, sender: str | None = None) -> dict[str, Any]:
        tx = fn.transact({"from": sender or self.payer})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return dict(receipt)

    def create(self, owners: list[LocalAccount], threshold: int, salt: int = 0) -> Contract:
        """A factory wallet of ``owners`` (one block)."""
        addresses = [o.address for o in by_address(owners)]
        self._send(self.factory.functions.createWallet(addresses, threshold, salt))
        address = self.factory.functions.predictWallet(addresses, threshold, salt).call()
        return self.wallet(address)

    def wallet(self, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self.abi)

    def fund(self, wallet: Contract, value: int) -> None:
        """Plain ETH to the wallet (its ``Received`` event)."""
        self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_transaction({"from": self.payer, "to": wallet.address, "value": value})
        )

    def execute(
        self,
        wallet: Contract,
        signers: list[LocalAccount],
        *,
        to: str = RECIPIENT,
        value: int = 0,
        data: bytes = b"",
    ) -> str:
        """``execTransaction`` signed off-line by ``signers``; returns the EIP-712 digest."""
        nonce = wallet.functions.nonce().call()
        tx = MultisigTransaction(
            wallet=wallet.address,
            chain_id=self.w3.eth.chain_id,
            to=to_checksum_address(to),
            value=value,
            data=data,
            operation=Operation.CALL,
            nonce=nonce,
        )
        document = transaction_typed_data(tx)
        signatures = [ecdsa(s.address, sign_typed_data(document, s.key)) for s in signers]
        self._send(
            wallet.functions.execTransaction(
                tx.to, value, data, int(Operation.CALL), pack_signatures(signatures)
            )
        )
        digest = wallet.functions.getTransactionHash(tx.to, value, data, 0, nonce).call()
        return "0x" + bytes(digest).hex()

    def _self_call(self, wallet: Contract, signers: list[LocalAccount], fn: str, *args: Any) -> str:
        data = bytes.fromhex(wallet.encode_abi(fn, args=list(args))[2:])
        return self.execute(wallet, signers, to=wallet.address, data=data)

    def add_owner(
        self, wallet: Contract, signers: list[LocalAccount], owner: str, threshold: int
    ) -> str:
        return self._self_call(wallet, signers, "addOwner", owner, threshold)

    def remove_owner(
        self, wallet: Contract, signers: list[LocalAccount], owner: str, threshold: int
    ) -> str:
        return self._self_call(wallet, signers, "removeOwner", owner, threshold)

    def swap_owner(self, wallet: Contract, signers: list[LocalAccount], old: str, new: str) -> str:
        return self._self_call(wallet, signers, "swapOwner", old, new)

    def change_threshold(
        self, wallet: Contract, signers: list[LocalAccount], threshold: int
    ) -> str:
        return self._self_call(wallet, signers, "changeThreshold", threshold)

    def allow_delegatecall(
        self, wallet: Contract, signers: list[LocalAccount], target: str, allowed: bool
    ) -> str:
        return self._self_call(wallet, signers, "setDelegatecallAllowed", target, allowed)

    def approve_hash(self, wallet: Contract, owner: LocalAccount, digest: bytes) -> None:
        self._send(wallet.functions.approveHash(digest), owner.address)
