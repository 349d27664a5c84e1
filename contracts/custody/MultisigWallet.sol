// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IMultisigWallet} from "../interfaces/IMultisigWallet.sol";

/// @title MultisigWallet
/// @notice Institutional and cold-wallet custody (see IMultisigWallet). Deployed as minimal-proxy
///         clones by MultisigFactory; the implementation itself can never be initialised.
contract MultisigWallet is IMultisigWallet, Initializable, EIP712 {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    bytes32 private constant _TX_TYPEHASH = keccak256(
        "MultisigTransaction(address to,uint256 value,bytes data,uint8 operation,uint256 nonce)"
    );
    bytes32 private constant _MESSAGE_TYPEHASH = keccak256("MultisigMessage(bytes32 hash)");
    uint256 private constant _MAX_OWNERS = 50;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    // nonce and threshold share a slot: every execution reads both and writes the nonce.
    uint64 private _nonce;
    uint32 private _threshold;
    address[] private _owners;
    mapping(address owner => uint256 indexPlusOne) private _ownerIndex;
    mapping(address target => bool allowed) private _delegatecallAllowed;
    mapping(address owner => mapping(bytes32 hash => bool approved)) private _approvedHashes;

    /// @dev The EIP-712 domain uses address(this), which in a clone is the clone's address.
    constructor() EIP712("TigerEx Multisig", "1") {
        _disableInitializers();
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert MultisigOnlySelf(msg.sender);
        _;
    }

    receive() external payable {
        emit Received(msg.sender, msg.value);
    }

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultisigWallet
    function initialize(address[] calldata owners, uint256 threshold_) external initializer {
        uint256 count = owners.length;
        if (count > _MAX_OWNERS) revert MultisigInvalidThreshold(threshold_, count);
        for (uint256 i = 0; i < count; ++i) {
            _addOwner(owners[i]);
        }
        _setThreshold(threshold_);
        emit Initialized(owners, threshold_);
    }

    /// @inheritdoc IMultisigWallet
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation,
        bytes calldata signatures
    ) external payable returns (bytes memory result) {
        uint256 currentNonce = _nonce;
        bytes32 txHash = _transactionHash(to, value, data, operation, currentNonce);
        // Consumed before any call (Safe's order): a reentrant execTransaction sees the new nonce.
        unchecked {
            // Cannot overflow: one increment per execution.
            _nonce = uint64(currentNonce + 1);
        }
        _checkSignatures(txHash, signatures);
        bool success;
        if (operation == Operation.DelegateCall) {
            if (!_delegatecallAllowed[to]) revert MultisigDelegatecallNotAllowed(to);
            (success, result) = to.delegatecall(data);
        } else {
            (success, result) = to.call{value: value}(data);
        }
        if (!success) revert MultisigExecutionFailed(txHash, result);
        emit ExecutionSuccess(txHash, currentNonce, to, value);
    }

    /// @inheritdoc IMultisigWallet
    function approveHash(bytes32 hash) external {
        if (_ownerIndex[msg.sender] == 0) revert MultisigNotOwner(msg.sender);
        _approvedHashes[msg.sender][hash] = true;
        emit HashApproved(hash, msg.sender);
    }

    /// @inheritdoc IERC1271
    /// @dev Valid when `threshold` owners signed `getMessageHash(hash)`, so a custody wallet can
    ///      sign DEX orders and escrow instructions.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        _checkSignatures(_messageHash(hash), signature);
        return IERC1271.isValidSignature.selector;
    }

    /// @inheritdoc IMultisigWallet
    function addOwner(address owner, uint256 threshold_) external onlySelf {
        _addOwner(owner);
        emit OwnerAdded(owner);
        _setThreshold(threshold_);
    }

    /// @inheritdoc IMultisigWallet
    function removeOwner(address owner, uint256 threshold_) external onlySelf {
        uint256 indexPlusOne = _ownerIndex[owner];
        if (indexPlusOne == 0) revert MultisigInvalidOwner(owner);
        address last = _owners[_owners.length - 1];
        _owners[indexPlusOne - 1] = last;
        _ownerIndex[last] = indexPlusOne;
        _owners.pop();
        delete _ownerIndex[owner];
        emit OwnerRemoved(owner);
        _setThreshold(threshold_);
    }

    /// @inheritdoc IMultisigWallet
    function swapOwner(address oldOwner, address newOwner) external onlySelf {
        uint256 indexPlusOne = _ownerIndex[oldOwner];
        if (indexPlusOne == 0) revert MultisigInvalidOwner(oldOwner);
        _validateNewOwner(newOwner);
        _owners[indexPlusOne - 1] = newOwner;
        _ownerIndex[newOwner] = indexPlusOne;
        delete _ownerIndex[oldOwner];
        emit OwnerRemoved(oldOwner);
        emit OwnerAdded(newOwner);
    }

    /// @inheritdoc IMultisigWallet
    function changeThreshold(uint256 threshold_) external onlySelf {
        _setThreshold(threshold_);
    }

    /// @inheritdoc IMultisigWallet
    function setDelegatecallAllowed(address target, bool allowed) external onlySelf {
        _delegatecallAllowed[target] = allowed;
        emit DelegatecallAllowed(target, allowed);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMultisigWallet
    function getOwners() external view returns (address[] memory) {
        return _owners;
    }

    /// @inheritdoc IMultisigWallet
    function isOwner(address account) external view returns (bool) {
        return _ownerIndex[account] != 0;
    }

    /// @inheritdoc IMultisigWallet
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IMultisigWallet
    function nonce() external view returns (uint256) {
        return _nonce;
    }

    /// @inheritdoc IMultisigWallet
    function isDelegatecallAllowed(address target) external view returns (bool) {
        return _delegatecallAllowed[target];
    }

    /// @inheritdoc IMultisigWallet
    function approvedHash(address owner, bytes32 hash) external view returns (bool) {
        return _approvedHashes[owner][hash];
    }

    /// @inheritdoc IMultisigWallet
    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation,
        uint256 nonce_
    ) external view returns (bytes32) {
        return _transactionHash(to, value, data, operation, nonce_);
    }

    /// @inheritdoc IMultisigWallet
    function getMessageHash(bytes32 hash) external view returns (bytes32) {
        return _messageHash(hash);
    }

    /// @inheritdoc IMultisigWallet
    function checkSignatures(bytes32 dataHash, bytes calldata signatures) external view {
        _checkSignatures(dataHash, signatures);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _checkSignatures(bytes32 dataHash, bytes calldata signatures) private view {
        uint256 required = _threshold;
        if (signatures.length < required * 65) {
            revert MultisigNotEnoughSignatures(signatures.length / 65, required);
        }
        address previous = address(0);
        for (uint256 i = 0; i < required; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = _split(signatures, i);
            address signer;
            if (v == 0) {
                signer = address(uint160(uint256(r)));
                bytes calldata contractSignature = _dynamicPart(signatures, uint256(s), required);
                if (!SignatureChecker.isValidERC1271SignatureNow(signer, dataHash, contractSignature)) {
                    revert MultisigInvalidContractSignature(signer);
                }
            } else if (v == 1) {
                signer = address(uint160(uint256(r)));
                if (msg.sender != signer && !_approvedHashes[signer][dataHash]) {
                    revert MultisigHashNotApproved(signer, dataHash);
                }
            } else if (v == 27 || v == 28) {
                // Reverts on high-s (malleated) signatures and on failed recovery.
                signer = ECDSA.recover(dataHash, v, r, s);
            } else {
                revert MultisigInvalidSignatureType(v);
            }
            // Strictly ascending: the same owner can never be counted twice.
            if (signer <= previous) revert MultisigSignersNotSorted(signer, previous);
            if (_ownerIndex[signer] == 0) revert MultisigNotOwner(signer);
            previous = signer;
        }
    }

    function _split(bytes calldata signatures, uint256 index)
        private
        pure
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        uint256 offset = index * 65;
        r = bytes32(signatures[offset:offset + 32]);
        s = bytes32(signatures[offset + 32:offset + 64]);
        v = uint8(signatures[offset + 64]);
    }

    /// @dev The EIP-1271 part must lie after the fixed 65-byte items, inside `signatures`.
    function _dynamicPart(bytes calldata signatures, uint256 offset, uint256 required)
        private
        pure
        returns (bytes calldata)
    {
        if (offset < required * 65 || offset + 32 > signatures.length) {
            revert MultisigInvalidSignatureType(0);
        }
        uint256 length = uint256(bytes32(signatures[offset:offset + 32]));
        uint256 start = offset + 32;
        if (length > signatures.length - start) revert MultisigInvalidSignatureType(0);
        return signatures[start:start + length];
    }

    function _transactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        Operation operation,
        uint256 nonce_
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_TX_TYPEHASH, to, value, keccak256(data), uint8(operation), nonce_))
        );
    }

    function _messageHash(bytes32 hash) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_MESSAGE_TYPEHASH, hash)));
    }

    function _addOwner(address owner) private {
        _validateNewOwner(owner);
        _owners.push(owner);
        _ownerIndex[owner] = _owners.length;
    }

    function _validateNewOwner(address owner) private view {
        if (owner == address(0) || owner == address(this)) revert MultisigInvalidOwner(owner);
        if (_ownerIndex[owner] != 0) revert MultisigDuplicateOwner(owner);
        if (_owners.length >= _MAX_OWNERS) revert MultisigInvalidOwner(owner);
    }

    function _setThreshold(uint256 threshold_) private {
        uint256 count = _owners.length;
        if (threshold_ == 0 || threshold_ > count) revert MultisigInvalidThreshold(threshold_, count);
        if (threshold_ != _threshold) {
            _threshold = uint32(threshold_);
            emit ThresholdChanged(threshold_);
        }
    }
}
