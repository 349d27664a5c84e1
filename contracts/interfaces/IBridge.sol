// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBridge
/// @notice Lock-and-mint / burn-and-release token bridge between EVM chains, authorised by an
///         M-of-N validator set with epochs. The same contract is deployed on every chain and
///         plays both roles:
///
///   source of a native token:  lock (credits what arrived)      -> Deposit event
///                              claim(kind = Burn)               -> release of locked tokens
///   destination:               claim(kind = Lock)               -> mint of the BridgedToken
///                              burn (of a BridgedToken)         -> Burned event
///
/// A message is the EIP-712 struct `BridgeMessage`, signed for the DESTINATION bridge: the
/// domain is (name "TigerEx Bridge", version "1", destination chain id, destination bridge) and
/// the struct carries the source chain id and bridge, the destination chain id, the source
/// bridge's nonce, the origin token, recipient, amount and the validator epoch whose set signed
/// it. `claim` needs `threshold` signatures of that epoch's validators, concatenated as 65-byte
/// `{r}{s}{v}` items sorted by signer address, strictly ascending (no signer counts twice); OZ
/// ECDSA rejects high-s (malleated) signatures. A message id is keccak256(abi.encode(srcChainId,
/// srcBridge, nonce)) and is claimable once.
///
/// Checks that real exploits lacked (each is refused with its own error, before any effect):
///   - zero-address token (Qubit QBridge, Jan 2022, ~$80M: a deposit of token address(0) "moved"
///     nothing through a no-op transferFrom and minted real value on the other side);
///   - wrong destination chain id (Omni Bridge on the EthereumPoW fork, Sep 2022: messages
///     already executed on Ethereum were replayed on the fork because the chain id was read from
///     storage, not from `block.chainid`; here the domain and the explicit check both use
///     `block.chainid`);
///   - unknown source bridge (Wormhole, Feb 2022, ~$326M: an account passed by the caller was
///     never checked to be the genuine one; here the message's source bridge must equal the one
///     registered for its source chain, and an unregistered chain (zero) never matches);
///   - zero message hash / root (Nomad, Aug 2022, ~$190M: the zero root was trusted because a
///     default storage value counted as "proven"; here a zero id is refused and an unknown epoch
///     has no validators and a zero threshold, which is refused, never read as "no signatures
///     needed");
///   - zero recipient and zero amount (tokens burned for nothing or empty messages).
///
/// Invariant: for every origin token and destination chain, what the destination has minted
/// (BridgedToken.totalSupply) never exceeds what the source holds locked for that destination
/// (`locked(token, dstChainId)`); a release is refused if it would exceed the locked amount.
interface IBridge {
    /// @notice What happened on the source chain: `Lock` is minted on the destination, `Burn`
    ///         is released there.
    enum MessageKind {
        Lock,
        Burn
    }

    /// @notice A cross-chain transfer, signed by validators for the destination bridge.
    /// @param token The token on its ORIGIN chain (the locked, native one) for both kinds.
    /// @param epoch The validator epoch (of the destination bridge) whose set signed.
    struct Message {
        MessageKind kind;
        uint256 srcChainId;
        address srcBridge;
        uint256 dstChainId;
        uint256 nonce;
        address token;
        address recipient;
        uint256 amount;
        uint256 epoch;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Qubit QBridge (2022): token address(0) must never be bridged.
    error BridgeZeroToken();
    error BridgeZeroRecipient();
    error BridgeZeroAmount();
    /// @notice Nomad (2022): a zero message hash / root is never accepted as proven.
    error BridgeZeroMessageHash();
    /// @notice Omni on EthereumPoW (2022): a message for another chain is refused.
    error BridgeWrongDestinationChain(uint256 dstChainId, uint256 chainId);
    /// @notice Wormhole (2022): only the registered bridge of the source chain is trusted.
    error BridgeUnknownSourceBridge(uint256 srcChainId, address srcBridge);
    error BridgeUnknownChain(uint256 chainId);
    error BridgeInvalidChainId(uint256 chainId);
    error BridgeTokenNotListed(address token);
    error BridgeBridgedTokenNotLockable(address token);
    error BridgeNotBridgedToken(address token);
    error BridgeUnknownToken(uint256 originChainId, address originToken);
    error BridgeTokenExists(uint256 originChainId, address originToken, address bridgedToken);
    error BridgeNothingArrived(address token, uint256 amount);
    error BridgeAlreadyClaimed(bytes32 messageId);
    error BridgeInsufficientLocked(address token, uint256 srcChainId, uint256 locked, uint256 amount);
    error BridgeCapExceeded(address token, uint256 usedInWindow, uint256 amount, uint256 cap);
    error BridgeCapTooLarge(uint256 cap);
    error BridgeMalformedSignatures(uint256 length);
    error BridgeNotEnoughSignatures(uint256 given, uint256 threshold);
    error BridgeSignersNotSorted(address signer, address previous);
    error BridgeNotValidator(address signer, uint256 epoch);
    error BridgeEpochExpired(uint256 epoch, uint256 currentEpoch);
    error BridgeInvalidValidatorSet(uint256 count, uint256 threshold);
    error BridgeInvalidValidator(address validator);
    error BridgeInvalidConfig(uint256 window, uint256 gracePeriod);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Tokens were locked here for `recipient` on `dstChainId`; `amount` is what arrived.
    event Deposit(
        bytes32 indexed messageId,
        uint256 nonce,
        uint256 srcChainId,
        uint256 dstChainId,
        address indexed token,
        address indexed sender,
        address recipient,
        uint256 amount
    );
    /// @notice A BridgedToken was burned here; `token` is the origin token on `dstChainId`.
    event Burned(
        bytes32 indexed messageId,
        uint256 nonce,
        uint256 srcChainId,
        uint256 dstChainId,
        address indexed token,
        address indexed sender,
        address recipient,
        uint256 amount
    );
    /// @notice A message was claimed: `localToken` (a BridgedToken for Lock, the native token for
    ///         Burn) went to `recipient`.
    event Claimed(
        bytes32 indexed messageId,
        uint256 indexed srcChainId,
        MessageKind kind,
        address indexed localToken,
        address recipient,
        uint256 amount,
        uint256 epoch
    );
    /// @notice Epoch `epoch` starts with `validators`; the previous set's signatures are
    ///         accepted until `previousValidUntil` (a timestamp).
    event ValidatorsRotated(uint256 indexed epoch, address[] validators, uint256 threshold, uint256 previousValidUntil);
    event RemoteBridgeSet(uint256 indexed chainId, address bridge);
    event TokenLimitSet(address indexed token, uint256 capPerWindow);
    event BridgedTokenCreated(uint256 indexed originChainId, address indexed originToken, address indexed bridgedToken);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Role that may pause the bridge (lock, burn, claim); only the admin unpauses.
    function GUARDIAN_ROLE() external view returns (bytes32);
    /// @notice Length in seconds of the fixed windows per-token caps are counted in.
    function WINDOW() external view returns (uint256);
    /// @notice How long after a rotation the previous set's signatures are still accepted.
    function GRACE_PERIOD() external view returns (uint256);
    function MAX_VALIDATORS() external view returns (uint256);

    /// @notice Locks `amount` of the native `token` for `recipient` on `dstChainId`. Credits
    ///         what actually arrived (fee-on-transfer tokens). The token must be listed (a
    ///         non-zero cap) and `dstChainId` must have a registered bridge.
    /// @return messageId The id the destination claims under.
    function lock(address token, uint256 amount, uint256 dstChainId, address recipient)
        external
        returns (bytes32 messageId);

    /// @notice Burns `amount` of the caller's `bridgedToken` to release the origin token to
    ///         `recipient` on the origin chain.
    function burn(address bridgedToken, uint256 amount, address recipient) external returns (bytes32 messageId);

    /// @notice Executes a message signed by `threshold` validators of `message.epoch` (the
    ///         current epoch, or the previous one until its grace period ends). Anyone may submit.
    function claim(Message calldata message, bytes calldata signatures) external;

    /// @notice Replaces the validator set: `signatures` by a quorum of the CURRENT set over the
    ///         EIP-712 `ValidatorRotation(uint256 epoch,address[] validators,uint256 threshold)`
    ///         with `epoch` the current epoch. Validators strictly ascending, non-zero; threshold
    ///         a strict majority. Anyone may submit.
    function rotateValidators(address[] calldata validators, uint256 threshold, bytes calldata signatures) external;

    /// @notice Admin: the bridge contract trusted as the source of messages from `chainId`
    ///         (address(0) removes it).
    function setRemoteBridge(uint256 chainId, address bridge) external;

    /// @notice Admin: cap per window of what `claim` may mint (BridgedToken) or release (native
    ///         token) of `token`; a native token with cap zero cannot be locked.
    function setTokenLimit(address token, uint256 capPerWindow) external;

    /// @notice Admin: deploys the BridgedToken for (`originChainId`, `originToken`) with CREATE2.
    function createBridgedToken(
        uint256 originChainId,
        address originToken,
        string calldata name,
        string calldata symbol,
        uint8 decimals
    ) external returns (address bridgedToken);

    function pause() external;
    function unpause() external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function epoch() external view returns (uint256);
    function threshold() external view returns (uint256);
    function validators(uint256 epoch_) external view returns (address[] memory);
    function isValidator(uint256 epoch_, address account) external view returns (bool);
    /// @notice Until when (timestamp) the previous epoch's signatures are accepted.
    function previousEpochValidUntil() external view returns (uint256);
    function remoteBridge(uint256 chainId) external view returns (address);
    /// @notice The BridgedToken of (`originChainId`, `originToken`), or address(0).
    function bridgedToken(uint256 originChainId, address originToken) external view returns (address);
    /// @notice Native token amount locked here for `dstChainId` (and not released).
    function locked(address token, uint256 dstChainId) external view returns (uint256);
    /// @notice The cap and what was claimed in the current window.
    function tokenLimit(address token) external view returns (uint256 capPerWindow, uint256 usedInWindow);
    function nextNonce() external view returns (uint256);
    function isClaimed(uint256 srcChainId, address srcBridge, uint256 nonce) external view returns (bool);
    function messageId(uint256 srcChainId, address srcBridge, uint256 nonce) external pure returns (bytes32);
    /// @notice The EIP-712 digest validators sign for `message` (to this bridge).
    function hashMessage(Message calldata message) external view returns (bytes32);
    function hashRotation(uint256 epoch_, address[] calldata validators_, uint256 threshold_)
        external
        view
        returns (bytes32);
}
