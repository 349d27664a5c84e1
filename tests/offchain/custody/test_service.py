import pytest
from eth_account import Account

from offchain.custody.errors import (
    InvalidWallet,
    NonceNotNext,
    NotAnOwner,
    ProposalExists,
    ProposalNotPending,
    SignatureExists,
    SignatureInvalid,
    ThresholdNotMet,
)
from offchain.custody.models import EXECUTED, PENDING, SUPERSEDED
from offchain.custody.multisig import (
    SECP256K1_N,
    ecdsa,
    message_typed_data,
    pack_signatures,
    sign_typed_data,
)
from tests.offchain.custody.conftest import create_wallet
from tigerex.devchain import dev_accounts

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def _sign(service, db_session, proposal_id, account):
    view = service.view(session=db_session, proposal_id=proposal_id)
    return sign_typed_data(view.typed_data, account.key)


def test_propose_sign_collect_execute(service, db_session, wallet, owners, w3):
    proposal = service.propose(
        session=db_session, wallet=wallet, to=RECIPIENT, value=12345, description="payout"
    )
    assert (proposal.nonce, proposal.status) == (0, PENDING)
    assert (
        proposal.tx_hash
        == "0x"
        + bytes(
            w3.eth.contract(address=wallet, abi=service.abi)
            .functions.getTransactionHash(RECIPIENT, 12345, b"", 0, 0)
            .call()
        ).hex()
    )
    for owner in owners[:2]:
        service.add_signature(
            session=db_session,
            proposal_id=proposal.id,
            signature=_sign(service, db_session, proposal.id, owner),
        )
        db_session.commit()
    view = service.view(session=db_session, proposal_id=proposal.id)
    assert view.signers == [owners[0].address, owners[1].address]
    assert view.ready
    before = w3.eth.get_balance(RECIPIENT)
    tx_hash = service.execute(session=db_session, proposal_id=proposal.id, sender=dev_accounts()[7])
    db_session.commit()
    assert w3.eth.get_balance(RECIPIENT) == before + 12345
    assert service.state(wallet).nonce == 1
    assert proposal.status == EXECUTED and proposal.executed_tx == tx_hash


def test_non_owner_signature_is_rejected_and_not_stored(service, db_session, wallet):
    proposal = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    stranger = dev_accounts()[8]
    with pytest.raises(NotAnOwner, match=stranger.address):
        service.add_signature(
            session=db_session,
            proposal_id=proposal.id,
            signature=_sign(service, db_session, proposal.id, stranger),
        )
    assert proposal.signatures == []


def test_malleated_and_malformed_signatures_are_rejected(service, db_session, wallet, owners):
    proposal = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    good = _sign(service, db_session, proposal.id, owners[0])
    s = int.from_bytes(good[32:64], "big")
    malleated = good[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - good[64]])
    with pytest.raises(SignatureInvalid, match="high-s"):
        service.add_signature(session=db_session, proposal_id=proposal.id, signature=malleated)
    with pytest.raises(SignatureInvalid, match="65 bytes"):
        service.add_signature(session=db_session, proposal_id=proposal.id, signature=good[:64])
    with pytest.raises(SignatureInvalid, match="not"):
        service.add_signature(
            session=db_session, proposal_id=proposal.id, signature=good, owner=owners[1].address
        )
    assert proposal.signatures == []


def test_signature_over_another_digest_recovers_a_stranger(service, db_session, wallet, owners):
    first = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    second = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=2)
    signature = _sign(service, db_session, first.id, owners[0])
    with pytest.raises(NotAnOwner):
        service.add_signature(session=db_session, proposal_id=second.id, signature=signature)


def test_an_owner_signs_once(service, db_session, wallet, owners):
    proposal = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    signature = _sign(service, db_session, proposal.id, owners[0])
    service.add_signature(session=db_session, proposal_id=proposal.id, signature=signature)
    with pytest.raises(SignatureExists):
        service.add_signature(session=db_session, proposal_id=proposal.id, signature=signature)


def test_execution_below_threshold_is_refused(service, db_session, wallet, owners):
    proposal = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    service.add_signature(
        session=db_session,
        proposal_id=proposal.id,
        signature=_sign(service, db_session, proposal.id, owners[0]),
    )
    with pytest.raises(ThresholdNotMet, match="1 of 2"):
        service.execute(session=db_session, proposal_id=proposal.id, sender=dev_accounts()[7])
    assert service.state(wallet).nonce == 0


def test_queued_proposals_take_the_next_nonces_and_run_in_order(
    service, db_session, wallet, owners
):
    first = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1)
    second = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=2)
    assert (first.nonce, second.nonce) == (0, 1)
    for proposal in (first, second):
        for owner in owners[:2]:
            service.add_signature(
                session=db_session,
                proposal_id=proposal.id,
                signature=_sign(service, db_session, proposal.id, owner),
            )
    with pytest.raises(NonceNotNext, match="nonce 1; the wallet is at 0"):
        service.execute(session=db_session, proposal_id=second.id, sender=dev_accounts()[7])
    service.execute(session=db_session, proposal_id=first.id, sender=dev_accounts()[7])
    service.execute(session=db_session, proposal_id=second.id, sender=dev_accounts()[7])
    assert service.state(wallet).nonce == 2


def test_executing_one_proposal_supersedes_its_rivals(service, db_session, wallet, owners):
    chosen = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1, nonce=0)
    rival = service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=99, nonce=0)
    for owner in owners[:2]:
        service.add_signature(
            session=db_session,
            proposal_id=chosen.id,
            signature=_sign(service, db_session, chosen.id, owner),
        )
    service.execute(session=db_session, proposal_id=chosen.id, sender=dev_accounts()[7])
    assert rival.status == SUPERSEDED
    with pytest.raises(ProposalNotPending):
        service.execute(session=db_session, proposal_id=rival.id, sender=dev_accounts()[7])
    with pytest.raises(NonceNotNext):
        service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=5, nonce=0)


def test_the_same_transaction_cannot_be_proposed_twice(service, db_session, wallet):
    service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1, nonce=0)
    with pytest.raises(ProposalExists):
        service.propose(session=db_session, wallet=wallet, to=RECIPIENT, value=1, nonce=0)


def test_unknown_wallet_is_refused(service, db_session):
    with pytest.raises(InvalidWallet, match="no contract"):
        service.propose(session=db_session, wallet=Account.create().address, to=RECIPIENT, value=1)


def test_contract_owner_signs_through_eip1271(service, db_session, suite, w3, owners):
    # A 1-of-1 wallet of owners[0] co-owns a 2-of-2 wallet with owners[1].
    inner = create_wallet(suite, w3, [owners[0].address], 1, salt=11, fund=0)
    members = sorted([inner, owners[1].address], key=lambda a: int(a, 16))
    outer = create_wallet(suite, w3, members, 2, salt=12)
    proposal = service.propose(session=db_session, wallet=outer, to=RECIPIENT, value=77)
    digest = bytes.fromhex(proposal.tx_hash[2:])
    inner_signature = pack_signatures(
        [
            ecdsa(
                owners[0].address,
                sign_typed_data(message_typed_data(inner, w3.eth.chain_id, digest), owners[0].key),
            )
        ]
    )
    service.add_signature(
        session=db_session, proposal_id=proposal.id, signature=inner_signature, owner=inner
    )
    with pytest.raises(SignatureInvalid, match="EIP-1271"):
        service.add_signature(
            session=db_session, proposal_id=proposal.id, signature=b"\x01" * 65, owner=inner
        )
    service.add_signature(
        session=db_session,
        proposal_id=proposal.id,
        signature=_sign(service, db_session, proposal.id, owners[1]),
    )
    before = w3.eth.get_balance(RECIPIENT)
    service.execute(session=db_session, proposal_id=proposal.id, sender=dev_accounts()[7])
    assert w3.eth.get_balance(RECIPIENT) == before + 77
