// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IBridge} from "../interfaces/IBridge.sol";
import {IBridgedToken} from "../interfaces/IBridgedToken.sol";
import {BridgedToken} from "./BridgedToken.sol";

/// @title Bridge
/// @notice One per chain: locks and releases native tokens, mints and burns BridgedTokens, on
///         messages signed by a quorum of the current validator epoch (see IBridge and README.md).
contract Bridge is IBridge, AccessControl, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @inheritdoc IBridge
    uint256 public constant MAX_VALIDATORS = 32;
    /// @notice Longest grace period a deployment may choose: an old set must not linger.
    uint256 public constant MAX_GRACE_PERIOD = 30 days;

    bytes32 private constant _MESSAGE_TYPEHASH = keccak256(
        "BridgeMessage(uint8 kind,uint256 srcChainId,address srcBridge,uint256 dstChainId,uint256 nonce,"
        "address token,address recipient,uint256 amount,uint256 epoch)"
    );
    bytes32 private constant _ROTATION_TYPEHASH =
        keccak256("ValidatorRotation(uint256 epoch,address[] validators,uint256 threshold)");

    /// @inheritdoc IBridge
    uint256 public immutable WINDOW;
    /// @inheritdoc IBridge
    uint256 public immutable GRACE_PERIOD;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot: `claim` reads the whole validator-epoch state with one SLOAD.
    struct EpochState {
        uint64 epoch;
        uint64 previousValidUntil;
        uint32 threshold;
        uint32 previousThreshold;
    }

    /// @dev One slot: the cap check reads and writes one word. `window` is
    ///      block.timestamp / WINDOW of the window `used` belongs to.
    struct TokenLimit {
        uint112 cap;
        uint112 used;
        uint32 window;
    }

    struct Origin {
        uint64 chainId;
        address token;
    }

    EpochState private _epochState;
    uint256 private _nextNonce;
    mapping(uint256 epoch => address[] validators) private _validatorLists;
    mapping(uint256 epoch => mapping(address account => bool member)) private _isValidator;
    mapping(uint256 chainId => address bridge) private _remoteBridges;
    mapping(uint256 originChainId => mapping(address originToken => address bridged)) private _bridgedTokens;
    mapping(address bridged => Origin origin) private _origins;
    mapping(address token => mapping(uint256 dstChainId => uint256 amount)) private _locked;
    mapping(address token => TokenLimit limit) private _limits;
    /// @dev Claimed flags, 256 nonces of one source bridge per word (Permit2-style bitmap): after
    ///      the first claim of a word, marking a message claimed costs 5,000 gas, not 22,100.
    mapping(bytes32 sourceAndWord => uint256 bits) private _claimedBits;

    /// @param admin Receives DEFAULT_ADMIN_ROLE: registers remote bridges, tokens and caps,
    ///        unpauses.
    /// @param guardian Receives GUARDIAN_ROLE: may pause.
    /// @param validators_ Epoch 1's validators, strictly ascending.
    /// @param threshold_ Signatures needed, a strict majority of `validators_`.
    /// @param window Seconds per cap window.
    /// @param gracePeriod Seconds the previous set stays valid after a rotation (<= 30 days).
    constructor(
        address admin,
        address guardian,
        address[] memory validators_,
        uint256 threshold_,
        uint256 window,
        uint256 gracePeriod
    ) EIP712("TigerEx Bridge", "1") {
        // A grace period beyond MAX_GRACE_PERIOD would also not fit the packed uint64 deadline.
        if (window == 0 || gracePeriod > MAX_GRACE_PERIOD) revert BridgeInvalidConfig(window, gracePeriod);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        WINDOW = window;
        GRACE_PERIOD = gracePeriod;
        _setValidators(1, validators_, threshold_);
        _epochState = EpochState({epoch: 1, previousValidUntil: 0, threshold: uint32(threshold_), previousThreshold: 0});
        emit ValidatorsRotated(1, validators_, threshold_, 0);
    }

    /*//////////////////////////////////////////////////////////////
                             SOURCE SIDE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    /// @dev The token is pulled before anything is recorded so that exactly what arrived is
    ///      credited (fee-on-transfer tokens); the reentrancy guard covers the gap.
    function lock(address token, uint256 amount, uint256 dstChainId, address recipient)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 id)
    {
        if (token == address(0)) revert BridgeZeroToken();
        if (recipient == address(0)) revert BridgeZeroRecipient();
        if (amount == 0) revert BridgeZeroAmount();
        if (_remoteBridges[dstChainId] == address(0)) revert BridgeUnknownChain(dstChainId);
        if (_origins[token].chainId != 0) revert BridgeBridgedTokenNotLockable(token);
        if (_limits[token].cap == 0) revert BridgeTokenNotListed(token);

        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert BridgeNothingArrived(token, amount);

        _locked[token][dstChainId] += received;
        uint256 nonce = _nextNonce++;
        id = _messageId(block.chainid, address(this), nonce);
        emit Deposit(id, nonce, block.chainid, dstChainId, token, msg.sender, recipient, received);
    }

    /*//////////////////////////////////////////////////////////////
                           DESTINATION SIDE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    function burn(address token, uint256 amount, address recipient)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 id)
    {
        Origin memory origin = _origins[token];
        if (origin.chainId == 0) revert BridgeNotBridgedToken(token);
        if (recipient == address(0)) revert BridgeZeroRecipient();
        if (amount == 0) revert BridgeZeroAmount();
        if (_remoteBridges[origin.chainId] == address(0)) revert BridgeUnknownChain(origin.chainId);

        uint256 nonce = _nextNonce++;
        id = _messageId(block.chainid, address(this), nonce);
        emit Burned(id, nonce, block.chainid, origin.chainId, origin.token, msg.sender, recipient, amount);
        // Our own token: burning reverts on an insufficient balance, taking the event with it.
        IBridgedToken(token).burn(msg.sender, amount);
    }

    /// @inheritdoc IBridge
    /// @dev Checks, then the message is marked claimed before the signatures are verified and
    ///      before any token moves (Safe's nonce-first order).
    function claim(Message calldata message, bytes calldata signatures) external nonReentrant whenNotPaused {
        bytes32 id = _checkAndConsume(message);
        _checkSignatures(_hashMessage(message), message.epoch, signatures);
        if (message.kind == MessageKind.Lock) {
            _mintClaimed(id, message);
        } else {
            _releaseClaimed(id, message);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              VALIDATORS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    function rotateValidators(address[] calldata validators_, uint256 threshold_, bytes calldata signatures)
        external
    {
        EpochState memory state = _epochState;
        uint256 current = state.epoch;
        _checkSignatures(_hashRotation(current, validators_, threshold_), current, signatures);
        uint256 next = current + 1;
        uint256 validUntil = block.timestamp + GRACE_PERIOD;
        _setValidators(next, validators_, threshold_);
        _epochState = EpochState({
            epoch: uint64(next),
            previousValidUntil: uint64(validUntil),
            threshold: uint32(threshold_),
            previousThreshold: state.threshold
        });
        emit ValidatorsRotated(next, validators_, threshold_, validUntil);
    }

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    function setRemoteBridge(uint256 chainId, address bridge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (chainId == 0 || chainId > type(uint64).max) revert BridgeInvalidChainId(chainId);
        _remoteBridges[chainId] = bridge;
        emit RemoteBridgeSet(chainId, bridge);
    }

    /// @inheritdoc IBridge
    function setTokenLimit(address token, uint256 capPerWindow) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert BridgeZeroToken();
        if (capPerWindow > type(uint112).max) revert BridgeCapTooLarge(capPerWindow);
        // Keeps what was used in the current window: lowering a cap cannot reopen it.
        _limits[token].cap = uint112(capPerWindow);
        emit TokenLimitSet(token, capPerWindow);
    }

    /// @inheritdoc IBridge
    function createBridgedToken(
        uint256 originChainId,
        address originToken,
        string calldata name,
        string calldata symbol,
        uint8 decimals
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (address bridged) {
        if (originToken == address(0)) revert BridgeZeroToken();
        // The origin may be this chain id: two bridges on one chain (a loopback) work like two
        // chains, which the single-chain tests use; the remote-bridge registry decides trust.
        if (originChainId == 0 || originChainId > type(uint64).max) revert BridgeInvalidChainId(originChainId);
        if (_bridgedTokens[originChainId][originToken] != address(0)) {
            revert BridgeTokenExists(originChainId, originToken, _bridgedTokens[originChainId][originToken]);
        }
        bridged = _deployBridgedToken(originChainId, originToken, name, symbol, decimals);
        _bridgedTokens[originChainId][originToken] = bridged;
        _origins[bridged] = Origin({chainId: uint64(originChainId), token: originToken});
        emit BridgedTokenCreated(originChainId, originToken, bridged);
    }

    /// @inheritdoc IBridge
    /// @dev Pausing stops lock, burn and claim; validator rotation stays possible, so a suspect
    ///      set can be replaced while nothing moves.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc IBridge
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBridge
    function epoch() external view returns (uint256) {
        return _epochState.epoch;
    }

    /// @inheritdoc IBridge
    function threshold() external view returns (uint256) {
        return _epochState.threshold;
    }

    /// @inheritdoc IBridge
    function validators(uint256 epoch_) external view returns (address[] memory) {
        return _validatorLists[epoch_];
    }

    /// @inheritdoc IBridge
    function isValidator(uint256 epoch_, address account) external view returns (bool) {
        return _isValidator[epoch_][account];
    }

    /// @inheritdoc IBridge
    function previousEpochValidUntil() external view returns (uint256) {
        return _epochState.previousValidUntil;
    }

    /// @inheritdoc IBridge
    function remoteBridge(uint256 chainId) external view returns (address) {
        return _remoteBridges[chainId];
    }

    /// @inheritdoc IBridge
    function bridgedToken(uint256 originChainId, address originToken) external view returns (address) {
        return _bridgedTokens[originChainId][originToken];
    }

    /// @inheritdoc IBridge
    function locked(address token, uint256 dstChainId) external view returns (uint256) {
        return _locked[token][dstChainId];
    }

    /// @inheritdoc IBridge
    function tokenLimit(address token) external view returns (uint256 capPerWindow, uint256 usedInWindow) {
        TokenLimit memory limit = _limits[token];
        uint256 used = limit.window == uint32(block.timestamp / WINDOW) ? limit.used : 0;
        return (limit.cap, used);
    }

    /// @inheritdoc IBridge
    function nextNonce() external view returns (uint256) {
        return _nextNonce;
    }

    /// @inheritdoc IBridge
    function isClaimed(uint256 srcChainId, address srcBridge, uint256 nonce) external view returns (bool) {
        return _claimedBits[_claimedWord(srcChainId, srcBridge, nonce)] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IBridge
    function messageId(uint256 srcChainId, address srcBridge, uint256 nonce) external pure returns (bytes32) {
        return _messageId(srcChainId, srcBridge, nonce);
    }

    /// @inheritdoc IBridge
    function hashMessage(Message calldata message) external view returns (bytes32) {
        return _hashMessage(message);
    }

    /// @inheritdoc IBridge
    function hashRotation(uint256 epoch_, address[] calldata validators_, uint256 threshold_)
        external
        view
        returns (bytes32)
    {
        return _hashRotation(epoch_, validators_, threshold_);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev CREATE2 with salt (originChainId, originToken): one token per origin, and its address
    ///      does not depend on this bridge's nonce.
    function _deployBridgedToken(
        uint256 originChainId,
        address originToken,
        string memory name,
        string memory symbol,
        uint8 decimals
    ) private returns (address) {
        bytes32 salt = keccak256(abi.encode(originChainId, originToken));
        return address(new BridgedToken{salt: salt}(name, symbol, decimals, originChainId, originToken));
    }

    /// @dev Every check a message must pass before its signatures are worth verifying; then
    ///      its claimed bit is set.
    function _checkAndConsume(Message calldata message) private returns (bytes32 id) {
        uint256 srcChainId = message.srcChainId;
        if (message.dstChainId != block.chainid) {
            revert BridgeWrongDestinationChain(message.dstChainId, block.chainid);
        }
        address expectedSource = _remoteBridges[srcChainId];
        if (expectedSource == address(0) || message.srcBridge != expectedSource) {
            revert BridgeUnknownSourceBridge(srcChainId, message.srcBridge);
        }
        if (message.token == address(0)) revert BridgeZeroToken();
        if (message.recipient == address(0)) revert BridgeZeroRecipient();
        if (message.amount == 0) revert BridgeZeroAmount();
        id = _messageId(srcChainId, expectedSource, message.nonce);
        if (id == bytes32(0)) revert BridgeZeroMessageHash();
        _markClaimed(srcChainId, expectedSource, message.nonce, id);
    }

    function _mintClaimed(bytes32 id, Message calldata message) private {
        address local = _bridgedTokens[message.srcChainId][message.token];
        if (local == address(0)) revert BridgeUnknownToken(message.srcChainId, message.token);
        uint256 amount = message.amount;
        _useCap(local, amount);
        emit Claimed(id, message.srcChainId, MessageKind.Lock, local, message.recipient, amount, message.epoch);
        IBridgedToken(local).mint(message.recipient, amount);
    }

    /// @dev A burn on the source releases what was locked here for that chain, never more:
    ///      minted there <= locked here holds even if the validators misbehave.
    function _releaseClaimed(bytes32 id, Message calldata message) private {
        address token = message.token;
        uint256 srcChainId = message.srcChainId;
        uint256 amount = message.amount;
        uint256 lockedForSource = _locked[token][srcChainId];
        if (lockedForSource < amount) revert BridgeInsufficientLocked(token, srcChainId, lockedForSource, amount);
        unchecked {
            // Cannot underflow: checked just above.
            _locked[token][srcChainId] = lockedForSource - amount;
        }
        _useCap(token, amount);
        emit Claimed(id, srcChainId, MessageKind.Burn, token, message.recipient, amount, message.epoch);
        IERC20(token).safeTransfer(message.recipient, amount);
    }

    function _messageId(uint256 srcChainId, address srcBridge, uint256 nonce) private pure returns (bytes32) {
        return keccak256(abi.encode(srcChainId, srcBridge, nonce));
    }

    function _claimedWord(uint256 srcChainId, address srcBridge, uint256 nonce) private pure returns (bytes32) {
        return keccak256(abi.encode(srcChainId, srcBridge, nonce >> 8));
    }

    /// @dev Consumed before the signatures are checked and any token moves (Safe's order).
    function _markClaimed(uint256 srcChainId, address srcBridge, uint256 nonce, bytes32 id) private {
        bytes32 word = _claimedWord(srcChainId, srcBridge, nonce);
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _claimedBits[word];
        if (bits & bit != 0) revert BridgeAlreadyClaimed(id);
        _claimedBits[word] = bits | bit;
    }

    /// @dev Fixed windows: `used` resets when block.timestamp / WINDOW moves on.
    function _useCap(address token, uint256 amount) private {
        TokenLimit memory limit = _limits[token];
        uint32 window = uint32(block.timestamp / WINDOW);
        uint256 used = limit.window == window ? limit.used : 0;
        uint256 newUsed = used + amount;
        if (newUsed > limit.cap) revert BridgeCapExceeded(token, used, amount, limit.cap);
        // Cannot truncate: newUsed <= cap < 2**112.
        _limits[token] = TokenLimit({cap: limit.cap, used: uint112(newUsed), window: window});
    }

    /// @dev The set of `epoch_` must be the current one, or the previous one inside its grace
    ///      period. Every given signature must be a distinct validator's, in ascending order.
    function _checkSignatures(bytes32 digest, uint256 epoch_, bytes calldata signatures) private view {
        EpochState memory state = _epochState;
        uint256 required;
        if (epoch_ == state.epoch) {
            required = state.threshold;
        } else if (epoch_ == state.epoch - 1 && block.timestamp <= state.previousValidUntil) {
            // state.epoch >= 1 always (epochs start at 1), so the subtraction cannot underflow.
            required = state.previousThreshold;
        } else {
            revert BridgeEpochExpired(epoch_, state.epoch);
        }
        uint256 length = signatures.length;
        if (length % 65 != 0) revert BridgeMalformedSignatures(length);
        uint256 count = length / 65;
        // `required` is never zero for a real epoch; an unset one (Nomad's zero default) has
        // been refused above, and this keeps "no signatures" from ever passing.
        if (count < required || required == 0) revert BridgeNotEnoughSignatures(count, required);
        address previous = address(0);
        for (uint256 offset = 0; offset < length; offset += 65) {
            bytes32 r = bytes32(signatures[offset:offset + 32]);
            bytes32 s = bytes32(signatures[offset + 32:offset + 64]);
            uint8 v = uint8(signatures[offset + 64]);
            // Reverts on high-s (malleated) signatures and on a failed recovery (address 0).
            address signer = ECDSA.recover(digest, v, r, s);
            // Strictly ascending: the same validator can never count twice.
            if (signer <= previous) revert BridgeSignersNotSorted(signer, previous);
            if (!_isValidator[epoch_][signer]) revert BridgeNotValidator(signer, epoch_);
            previous = signer;
        }
    }

    function _setValidators(uint256 epoch_, address[] memory validators_, uint256 threshold_) private {
        uint256 count = validators_.length;
        // A strict majority: two disjoint quorums can never both sign.
        if (count == 0 || count > MAX_VALIDATORS || threshold_ > count || threshold_ * 2 <= count) {
            revert BridgeInvalidValidatorSet(count, threshold_);
        }
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address validator = validators_[i];
            // Ascending and non-zero: no duplicates, and ecrecover's address(0) is never a member.
            if (validator <= previous) revert BridgeInvalidValidator(validator);
            _isValidator[epoch_][validator] = true;
            previous = validator;
        }
        _validatorLists[epoch_] = validators_;
    }

    function _hashMessage(Message calldata m) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_MESSAGE_TYPEHASH, m)));
    }

    function _hashRotation(uint256 epoch_, address[] calldata validators_, uint256 threshold_)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ROTATION_TYPEHASH, epoch_, keccak256(abi.encodePacked(validators_)), threshold_))
        );
    }
}
