// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @title IMultisigWallet
/// @notice Safe-style custody wallet: `threshold` of `owners` sign a transaction (EIP-712, bound to
///         chain id and this wallet, with the wallet's nonce), anyone submits it.
///
/// Signatures are concatenated 65-byte items `{r}{s}{v}` sorted by owner address, strictly
/// ascending (so an owner can never count twice):
///   v = 27/28  ECDSA by an owner EOA (high-s malleated signatures are rejected);
///   v = 0      EIP-1271 owner contract: r = owner address, s = byte offset in `signatures` of
///              `{uint256 length}{bytes signature}` checked with `isValidSignature`;
///   v = 1      pre-approved: r = owner address, who approved the hash on chain (`approveHash`)
///              or is the submitter.
///
/// Delegatecall runs another contract's code with this wallet's storage and funds, so owners who
/// approve a malicious delegatecall lose everything (Bybit's Safe was drained that way in 2025).
/// Here it is refused unless the target is on an allow-list that only the wallet itself (i.e. a
/// threshold of owners) can change.
interface IMultisigWallet is IERC1271 {
    enum Operation {
        Call,
        DelegateCall
    }

    error MultisigAlreadyInitialized();
    error MultisigInvalidOwner(address owner);
    error MultisigDuplicateOwner(address owner);
    error MultisigInvalidThreshold(uint256 threshold, uint256 ownerCount);
    error MultisigNotEnoughSignatures(uint256 given, uint256 threshold);
    error MultisigSignersNotSorted(address signer, address previous);
    error MultisigNotOwner(address signer);
    error MultisigInvalidContractSignature(address owner);
    error MultisigHashNotApproved(address owner, bytes32 hash);
    error MultisigInvalidSignatureType(uint8 v);
    error MultisigOnlySelf(address caller);
    error MultisigDelegatecallNotAllowed(address target);
    error MultisigExecutionFailed(bytes32 txHash, bytes reason);

    event Initialized(address[] owners, uint256 threshold);
    event ExecutionSuccess(bytes32 indexed txHash, uint256 indexed nonce, address indexed to, uint256 value);
    event HashApproved(bytes32 indexed hash, address indexed owner);
    event OwnerAdded(address indexed owner);
    event OwnerRemoved(address indexed owner);
    event ThresholdChanged(uint256 threshold);
    event DelegatecallAllowed(address indexed target, bool allowed);
    event Received(address indexed from, uint256 value);

    /// @notice Sets the owners and threshold; callable once, never on the implementation.
    function initialize(address[] calldata owners, uint256 threshold) external;

    /// @notice Executes a transaction signed by `threshold` owners. The nonce is consumed before
    ///         the call; a reverting call reverts the whole transaction (and so the nonce too).
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation,
        bytes calldata signatures
    ) external payable returns (bytes memory result);

    /// @notice Marks `hash` as approved by the calling owner (counts as its signature, v = 1).
    function approveHash(bytes32 hash) external;

    /// @notice Only through execTransaction (the wallet calling itself).
    function addOwner(address owner, uint256 threshold) external;
    function removeOwner(address owner, uint256 threshold) external;
    function swapOwner(address oldOwner, address newOwner) external;
    function changeThreshold(uint256 threshold) external;
    function setDelegatecallAllowed(address target, bool allowed) external;

    function getOwners() external view returns (address[] memory);
    function isOwner(address account) external view returns (bool);
    function threshold() external view returns (uint256);
    function nonce() external view returns (uint256);
    function isDelegatecallAllowed(address target) external view returns (bool);
    function approvedHash(address owner, bytes32 hash) external view returns (bool);

    /// @notice EIP-712 digest owners sign for a transaction at `nonce_`.
    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation,
        uint256 nonce_
    ) external view returns (bytes32);

    /// @notice EIP-712 digest owners sign to make this wallet "sign" `hash` (EIP-1271).
    function getMessageHash(bytes32 hash) external view returns (bytes32);

    /// @notice Reverts unless `signatures` holds valid signatures of `threshold` owners over `dataHash`.
    function checkSignatures(bytes32 dataHash, bytes calldata signatures) external view;
}
