import ape
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from offchain.custody.multisig import (
    Operation,
    approved,
    contract_signature,
    ecdsa,
    message_typed_data,
    pack_signatures,
    transaction_typed_data,
)
from tests.contracts.custody.conftest import wallet_nonce
from tigerex.eip712 import SECP256K1_N, sign_typed_data


def test_two_of_three_sends_ether_and_nonce_moves_by_one(wallet, owners, signer, accounts):
    recipient = accounts[8]
    before = recipient.balance
    receipt = signer.execute(wallet, owners[:2], recipient, value=12345)
    assert recipient.balance == before + 12345
    assert wallet_nonce(wallet) == 1
    event = receipt.events[-1]
    assert (event.nonce, event.to, event.value) == (0, recipient.address, 12345)


def test_two_of_three_transfers_erc20(wallet, owners, signer, token, accounts):
    data = token.transfer.encode_input(accounts[8], 250_000)
    signer.execute(wallet, [owners[0], owners[2]], token, data=data)
    assert token.balanceOf(accounts[8]) == 250_000
    assert token.balanceOf(wallet) == 1_000_000_000 - 250_000


def test_any_account_may_submit_signed_transactions(wallet, owners, signer, accounts):
    signer.execute(wallet, owners[1:], accounts[8], value=1, sender=accounts[9])
    assert wallet_nonce(wallet) == 1


def test_below_threshold_is_rejected(wallet, owners, signer, accounts):
    with ape.reverts(wallet.MultisigNotEnoughSignatures, given=1, threshold=2):
        signer.execute(wallet, owners[:1], accounts[8], value=1)
    assert wallet_nonce(wallet) == 0


def test_unsorted_signatures_are_rejected(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=1)
    typed = transaction_typed_data(tx)
    sigs = [sign_typed_data(typed, o.private_key) for o in (owners[1], owners[0])]
    with ape.reverts(wallet.MultisigSignersNotSorted):
        wallet.execTransaction(tx.to, 1, b"", 0, b"".join(sigs), sender=owners[0])


def test_the_same_owner_twice_is_rejected(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=1)
    one = signer.sign(tx, owners[:1])
    with ape.reverts(wallet.MultisigSignersNotSorted):
        wallet.execTransaction(tx.to, 1, b"", 0, one + one, sender=owners[0])


def test_non_owner_signature_is_rejected(wallet, owners, signer, accounts):
    outsider = accounts[7]
    signers = sorted([owners[0], outsider], key=lambda a: int(a.address, 16))
    with ape.reverts(wallet.MultisigNotOwner, signer=outsider.address):
        signer.execute(wallet, signers, accounts[8], value=1)


def test_signatures_for_another_nonce_are_rejected(wallet, owners, signer, accounts):
    with ape.reverts():
        signer.execute(wallet, owners[:2], accounts[8], value=1, nonce=5)
    assert wallet_nonce(wallet) == 0


def test_replay_of_an_executed_transaction_is_rejected(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=7)
    signatures = signer.sign(tx, owners[:2])
    wallet.execTransaction(tx.to, 7, b"", 0, signatures, sender=owners[0])
    balance = accounts[8].balance
    with ape.reverts():
        wallet.execTransaction(tx.to, 7, b"", 0, signatures, sender=owners[0])
    assert accounts[8].balance == balance
    assert wallet_nonce(wallet) == 1


def test_signatures_do_not_replay_on_a_second_wallet_with_the_same_owners(
    project, factory, wallet, owners, signer, deployer, accounts
):
    receipt = factory.createWallet([o.address for o in owners], 2, 1, sender=deployer)
    twin = project.MultisigWallet.at(receipt.events[-1].wallet)
    deployer.transfer(twin, 10**18)
    tx = signer.tx(wallet, accounts[8], value=1)
    signatures = signer.sign(tx, owners[:2])
    with ape.reverts():
        twin.execTransaction(tx.to, 1, b"", 0, signatures, sender=owners[0])
    assert wallet_nonce(twin) == 0


def test_signatures_for_another_chain_id_are_rejected(wallet, owners, signer, chain, accounts):
    with ape.reverts():
        signer.execute(wallet, owners[:2], accounts[8], value=1, chain_id=chain.chain_id + 1)


def test_malleated_high_s_signature_is_rejected(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=1)
    typed = transaction_typed_data(tx)
    good = [sign_typed_data(typed, o.private_key) for o in owners[:2]]
    r, s, v = good[0][:32], int.from_bytes(good[0][32:64], "big"), good[0][64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with pytest.raises(Exception, match="high-s"):
        ecdsa(owners[0].address, malleated)  # the client refuses to produce it...
    with ape.reverts(wallet.ECDSAInvalidSignatureS):  # ...and the wallet refuses to accept it
        wallet.execTransaction(tx.to, 1, b"", 0, malleated + good[1], sender=owners[0])


def test_pre_approved_hash_counts_as_a_signature(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=3)
    tx_hash = wallet.getTransactionHash(tx.to, 3, b"", 0, tx.nonce)
    wallet.approveHash(tx_hash, sender=owners[0])
    typed = transaction_typed_data(tx)
    signatures = pack_signatures(
        [
            approved(owners[0].address),
            ecdsa(owners[1].address, sign_typed_data(typed, owners[1].private_key)),
        ]
    )
    wallet.execTransaction(tx.to, 3, b"", 0, signatures, sender=accounts[9])
    assert wallet_nonce(wallet) == 1


def test_unapproved_hash_by_a_third_party_is_rejected(wallet, owners, signer, accounts):
    tx = signer.tx(wallet, accounts[8], value=3)
    typed = transaction_typed_data(tx)
    signatures = pack_signatures(
        [
            approved(owners[0].address),
            ecdsa(owners[1].address, sign_typed_data(typed, owners[1].private_key)),
        ]
    )
    with ape.reverts(wallet.MultisigHashNotApproved):
        wallet.execTransaction(tx.to, 3, b"", 0, signatures, sender=accounts[9])


def test_approve_hash_is_owner_only(wallet, accounts):
    with ape.reverts(wallet.MultisigNotOwner):
        wallet.approveHash(b"\x01" * 32, sender=accounts[9])


def test_owner_management_only_through_the_wallet(wallet, owners, accounts):
    with ape.reverts(wallet.MultisigOnlySelf):
        wallet.addOwner(accounts[7], 2, sender=owners[0])
    with ape.reverts(wallet.MultisigOnlySelf):
        wallet.changeThreshold(1, sender=owners[0])
    with ape.reverts(wallet.MultisigOnlySelf):
        wallet.setDelegatecallAllowed(accounts[7], True, sender=owners[0])


def test_add_remove_swap_owner_and_threshold_through_the_wallet(wallet, owners, signer, accounts):
    newcomer, replacement = accounts[7], accounts[6]
    signer.execute(wallet, owners[:2], wallet, data=wallet.addOwner.encode_input(newcomer, 3))
    assert wallet.isOwner(newcomer) and wallet.threshold() == 3
    assert len(wallet.getOwners()) == 4
    signer.execute(wallet, owners, wallet, data=wallet.removeOwner.encode_input(owners[2], 2))
    assert not wallet.isOwner(owners[2]) and wallet.threshold() == 2
    signer.execute(
        wallet, owners[:2], wallet, data=wallet.swapOwner.encode_input(newcomer, replacement)
    )
    assert wallet.isOwner(replacement) and not wallet.isOwner(newcomer)
    assert set(wallet.getOwners()) == {owners[0].address, owners[1].address, replacement.address}
    assert wallet_nonce(wallet) == 3


@pytest.mark.parametrize("threshold", [0, 4])
def test_threshold_outside_one_to_owner_count_is_refused(wallet, owners, signer, threshold):
    with ape.reverts(wallet.MultisigExecutionFailed):
        signer.execute(
            wallet, owners[:2], wallet, data=wallet.changeThreshold.encode_input(threshold)
        )
    assert wallet.threshold() == 2
    assert wallet_nonce(wallet) == 0  # the failed execution reverted, nonce included


def test_removing_an_owner_below_the_threshold_is_refused(wallet, owners, signer):
    data = wallet.removeOwner.encode_input(owners[2], 3)
    with ape.reverts(wallet.MultisigExecutionFailed):
        signer.execute(wallet, owners[:2], wallet, data=data)
    assert len(wallet.getOwners()) == 3


def test_delegatecall_is_refused_unless_allow_listed(wallet, owners, signer, factory):
    data = factory.implementation.encode_input()
    with ape.reverts(wallet.MultisigDelegatecallNotAllowed, target=factory.address):
        signer.execute(wallet, owners[:2], factory, data=data, operation=Operation.DELEGATE_CALL)
    signer.execute(
        wallet, owners[:2], wallet, data=wallet.setDelegatecallAllowed.encode_input(factory, True)
    )
    assert wallet.isDelegatecallAllowed(factory)
    signer.execute(wallet, owners[:2], factory, data=data, operation=Operation.DELEGATE_CALL)
    assert wallet_nonce(wallet) == 2


def test_contract_owner_signs_through_eip1271(
    project, factory, wallet, owners, signer, deployer, chain, accounts
):
    # A 1-of-1 custody wallet of owners[0] becomes an owner of the main wallet.
    receipt = factory.createWallet([owners[0].address], 1, 7, sender=deployer)
    inner = project.MultisigWallet.at(receipt.events[-1].wallet)
    signer.execute(wallet, owners[:2], wallet, data=wallet.swapOwner.encode_input(owners[2], inner))

    tx = signer.tx(wallet, accounts[8], value=11)
    tx_hash = wallet.getTransactionHash(tx.to, 11, b"", 0, tx.nonce)
    inner_sig = sign_typed_data(
        message_typed_data(inner.address, chain.chain_id, bytes(tx_hash)), owners[0].private_key
    )
    typed = transaction_typed_data(tx)
    signatures = pack_signatures(
        [
            contract_signature(inner.address, inner_sig),
            ecdsa(owners[1].address, sign_typed_data(typed, owners[1].private_key)),
        ]
    )
    before = accounts[8].balance
    wallet.execTransaction(tx.to, 11, b"", 0, signatures, sender=accounts[9])
    assert accounts[8].balance == before + 11

    # A contract signature made by someone who is not the inner wallet's owner is refused.
    bad_inner = sign_typed_data(
        message_typed_data(inner.address, chain.chain_id, bytes(tx_hash)), owners[1].private_key
    )
    tx2 = signer.tx(wallet, accounts[8], value=11)
    typed2 = transaction_typed_data(tx2)
    hash2 = wallet.getTransactionHash(tx2.to, 11, b"", 0, tx2.nonce)
    bad_inner = sign_typed_data(
        message_typed_data(inner.address, chain.chain_id, bytes(hash2)), owners[1].private_key
    )
    signatures = pack_signatures(
        [
            contract_signature(inner.address, bad_inner),
            ecdsa(owners[1].address, sign_typed_data(typed2, owners[1].private_key)),
        ]
    )
    with ape.reverts():
        wallet.execTransaction(tx2.to, 11, b"", 0, signatures, sender=accounts[9])


def test_wallet_validates_messages_under_eip1271(wallet, owners, chain):
    message_hash = b"\x42" * 32
    typed = message_typed_data(wallet.address, chain.chain_id, message_hash)
    signatures = pack_signatures(
        [ecdsa(o.address, sign_typed_data(typed, o.private_key)) for o in owners[:2]]
    )
    assert wallet.isValidSignature(message_hash, signatures) == bytes.fromhex("1626ba7e")
    with ape.reverts(wallet.MultisigNotEnoughSignatures):
        wallet.isValidSignature(message_hash, signatures[:65])


def test_wallet_holds_ether_and_tokens(wallet, token, deployer):
    receipt = deployer.transfer(wallet, 5)
    assert receipt.events[-1].value == 5
    assert token.balanceOf(wallet) == 1_000_000_000


class MultisigOwnership(RuleBasedStateMachine):
    """Random owner management through the wallet itself: the threshold always stays within
    1..owners and the nonce grows by exactly one per successful execution (none on failure)."""

    project = factory = signer = deployer = pool = None
    salt = 1000

    @initialize()
    def create(self):
        cls = type(self)
        cls.salt += 1
        self.keys = {a.address: a for a in cls.pool}
        self.owner_set = [cls.pool[0], cls.pool[1], cls.pool[2]]
        receipt = cls.factory.createWallet(
            [o.address for o in self.owner_set], 2, cls.salt, sender=cls.deployer
        )
        self.wallet = cls.project.MultisigWallet.at(receipt.events[-1].wallet)
        self.expected_nonce = 0
        self.threshold = 2

    def _exec(self, data):
        signers = sorted(self.owner_set, key=lambda a: int(a.address, 16))[: self.threshold]
        try:
            type(self).signer.execute(
                self.wallet, signers, self.wallet, data=data, sender=type(self).deployer
            )
        except Exception:
            return False
        self.expected_nonce += 1
        return True

    @rule(index=st.integers(0, 5), threshold=st.integers(0, 8))
    def add_owner(self, index, threshold):
        candidate = type(self).pool[index]
        ok = self._exec(self.wallet.addOwner.encode_input(candidate, threshold))
        valid = candidate not in self.owner_set and 1 <= threshold <= len(self.owner_set) + 1
        assert ok == valid
        if ok:
            self.owner_set.append(candidate)
            self.threshold = threshold

    @rule(index=st.integers(0, 5), threshold=st.integers(0, 8))
    def remove_owner(self, index, threshold):
        candidate = type(self).pool[index]
        ok = self._exec(self.wallet.removeOwner.encode_input(candidate, threshold))
        valid = candidate in self.owner_set and 1 <= threshold <= len(self.owner_set) - 1
        assert ok == valid
        if ok:
            self.owner_set.remove(candidate)
            self.threshold = threshold

    @rule(threshold=st.integers(0, 8))
    def change_threshold(self, threshold):
        ok = self._exec(self.wallet.changeThreshold.encode_input(threshold))
        assert ok == (1 <= threshold <= len(self.owner_set))
        if ok:
            self.threshold = threshold

    @invariant()
    def threshold_within_owner_count(self):
        assert 1 <= self.wallet.threshold() <= len(self.wallet.getOwners())
        assert self.wallet.threshold() == self.threshold
        assert set(self.wallet.getOwners()) == {o.address for o in self.owner_set}

    @invariant()
    def nonce_counts_successful_executions(self):
        assert wallet_nonce(self.wallet) == self.expected_nonce


@pytest.mark.stateful
def test_threshold_and_nonce_invariants(project, factory, signer, deployer, accounts):
    MultisigOwnership.project, MultisigOwnership.factory = project, factory
    MultisigOwnership.signer, MultisigOwnership.deployer = signer, deployer
    MultisigOwnership.pool = [accounts[i] for i in range(3, 9)]
    runner = MultisigOwnership.TestCase
    runner.settings = settings(
        max_examples=8,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
