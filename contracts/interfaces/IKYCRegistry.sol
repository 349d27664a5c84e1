// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IKYCRegistry
/// @notice Per-address KYC level with an expiry, written by attesters: directly (ATTESTER_ROLE)
///         or through an EIP-712 attestation an attester signed off chain and anyone submits.
///         The launchpad and the P2P escrow read `hasLevel`.
/// @dev An attestation is bound to chain id and registry address by its EIP-712 domain, and to
///      the subject's current nonce, which every write (attestation or revocation) advances: a
///      signed attestation is usable once, and a revocation kills every one signed before it.
interface IKYCRegistry {
    /// @notice An attestation signed off chain by an attester.
    /// @param subject The account being attested.
    /// @param level The KYC level (1 = basic, 2 = full, ...; 0 is "none" and not attestable).
    /// @param expiresAt When the level lapses (unix seconds).
    /// @param nonce Must equal `nonces(subject)`.
    /// @param deadline The signature is void after this time.
    struct Attestation {
        address subject;
        uint8 level;
        uint64 expiresAt;
        uint64 nonce;
        uint64 deadline;
    }

    /// @notice Level 0, or an expiry not in the future, was given.
    error KYCInvalidAttestation(address subject, uint8 level, uint64 expiresAt);
    /// @notice The signed attestation's deadline has passed.
    error KYCSignatureExpired(uint64 deadline, uint256 nowTimestamp);
    /// @notice The signed attestation is for another nonce (already used, or revoked since).
    error KYCInvalidNonce(address subject, uint64 expected, uint64 given);
    /// @notice The signer of an attestation does not hold ATTESTER_ROLE.
    error KYCUnauthorizedSigner(address signer);

    /// @notice Emitted when a level is recorded for `subject`.
    event Attested(address indexed subject, uint8 level, uint64 expiresAt, address indexed attester);
    /// @notice Emitted when `subject`'s attestation is revoked.
    event Revoked(address indexed subject, address indexed attester);

    /// @notice Role allowed to attest and revoke.
    function ATTESTER_ROLE() external view returns (bytes32);

    /// @notice Records `level` for `subject` until `expiresAt`. Only ATTESTER_ROLE.
    function attest(address subject, uint8 level, uint64 expiresAt) external;

    /// @notice Records an attestation signed by an attester; anyone may submit it.
    function attestWithSignature(Attestation calldata attestation, bytes calldata signature) external;

    /// @notice Removes `subject`'s level and voids every unsubmitted signed attestation. Only ATTESTER_ROLE.
    function revoke(address subject) external;

    /// @notice The current level of `subject`: 0 when none, revoked or expired.
    function levelOf(address subject) external view returns (uint8);

    /// @notice True when `subject` holds at least `minLevel` now (always true for minLevel 0).
    function hasLevel(address subject, uint8 minLevel) external view returns (bool);

    /// @notice The stored record, expired or not.
    function attestationOf(address subject) external view returns (uint8 level, uint64 expiresAt);

    /// @notice The nonce the next signed attestation for `subject` must carry.
    function nonces(address subject) external view returns (uint64);

    /// @notice EIP-712 digest of `attestation` under this registry's domain.
    function hashAttestation(Attestation calldata attestation) external view returns (bytes32);
}
