// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IKYCRegistry} from "../interfaces/IKYCRegistry.sol";

/// @title KYCRegistry
/// @notice On-chain KYC levels, written by the custodial KYC service (the attester).
contract KYCRegistry is IKYCRegistry, AccessControl, EIP712 {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IKYCRegistry
    bytes32 public constant ATTESTER_ROLE = keccak256("ATTESTER_ROLE");

    bytes32 private constant _ATTESTATION_TYPEHASH = keccak256(
        "Attestation(address subject,uint8 level,uint64 expiresAt,uint64 nonce,uint64 deadline)"
    );

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    struct Record {
        uint8 level;
        uint64 expiresAt;
        uint64 nonce;
    }

    mapping(address subject => Record record) private _records;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants ATTESTER_ROLE to the KYC service).
    constructor(address admin) EIP712("TigerEx KYC", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IKYCRegistry
    function attest(address subject, uint8 level, uint64 expiresAt) external onlyRole(ATTESTER_ROLE) {
        _attest(subject, level, expiresAt, msg.sender);
    }

    /// @inheritdoc IKYCRegistry
    function attestWithSignature(Attestation calldata attestation, bytes calldata signature) external {
        if (block.timestamp > attestation.deadline) {
            revert KYCSignatureExpired(attestation.deadline, block.timestamp);
        }
        uint64 expected = _records[attestation.subject].nonce;
        if (attestation.nonce != expected) {
            revert KYCInvalidNonce(attestation.subject, expected, attestation.nonce);
        }
        // ECDSA.recover rejects malleable (high-s) signatures.
        address signer = ECDSA.recover(_hashAttestation(attestation), signature);
        if (!hasRole(ATTESTER_ROLE, signer)) revert KYCUnauthorizedSigner(signer);
        _attest(attestation.subject, attestation.level, attestation.expiresAt, signer);
    }

    /// @inheritdoc IKYCRegistry
    function revoke(address subject) external onlyRole(ATTESTER_ROLE) {
        Record storage record = _records[subject];
        record.level = 0;
        record.expiresAt = 0;
        unchecked {
            // Cannot overflow in practice: one increment per transaction.
            record.nonce += 1;
        }
        emit Revoked(subject, msg.sender);
    }

    /// @inheritdoc IKYCRegistry
    function levelOf(address subject) public view returns (uint8) {
        Record storage record = _records[subject];
        return record.expiresAt > block.timestamp ? record.level : 0;
    }

    /// @inheritdoc IKYCRegistry
    function hasLevel(address subject, uint8 minLevel) external view returns (bool) {
        return minLevel == 0 || levelOf(subject) >= minLevel;
    }

    /// @inheritdoc IKYCRegistry
    function attestationOf(address subject) external view returns (uint8 level, uint64 expiresAt) {
        Record storage record = _records[subject];
        return (record.level, record.expiresAt);
    }

    /// @inheritdoc IKYCRegistry
    function nonces(address subject) external view returns (uint64) {
        return _records[subject].nonce;
    }

    /// @inheritdoc IKYCRegistry
    function hashAttestation(Attestation calldata attestation) external view returns (bytes32) {
        return _hashAttestation(attestation);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _attest(address subject, uint8 level, uint64 expiresAt, address attester) private {
        if (subject == address(0) || level == 0 || expiresAt <= block.timestamp) {
            revert KYCInvalidAttestation(subject, level, expiresAt);
        }
        Record storage record = _records[subject];
        record.level = level;
        record.expiresAt = expiresAt;
        unchecked {
            // Cannot overflow in practice: one increment per transaction.
            record.nonce += 1;
        }
        emit Attested(subject, level, expiresAt, attester);
    }

    function _hashAttestation(Attestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ATTESTATION_TYPEHASH, a.subject, a.level, a.expiresAt, a.nonce, a.deadline))
        );
    }
}
