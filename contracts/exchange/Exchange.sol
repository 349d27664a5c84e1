// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IExchange} from "../interfaces/IExchange.sol";
import {IWrappedEther} from "../interfaces/IWrappedEther.sol";

/// @title Exchange
/// @notice TigerEx settlement contract: a vault plus on-chain verification and settlement of
///         EIP-712 signed limit orders, matched by the relayer (`settle`) or taken directly by
///         anyone (`fillOrder`). See IExchange and contracts/exchange/README.md.
/// @dev Laid out for settlement gas: a market is two slots naming its tokens by registry id
///      (read as two words, once per batch, its fees accrued in memory and written once), an
///      order's state one word, a balance one slot keyed by (account, token id) with a single
///      hash, `_paused` shares its slot with the fee recipient, the withdrawal delay and the
///      token count; orders are copied from calldata once per match. Where the gas goes:
///      contracts/exchange/README.md.
contract Exchange is IExchange, EIP712, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------------- CONSTANTS

    /// @inheritdoc IExchange
    uint16 public constant MAX_FEE_BPS = 100;
    /// @inheritdoc IExchange
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @inheritdoc IExchange
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint32 public constant MIN_WITHDRAWAL_DELAY = 1 minutes;
    uint32 public constant MAX_WITHDRAWAL_DELAY = 7 days;

    /// @notice Most the contract may hold of one token (checked at deposit). Bounds every
    ///         vault balance and accrued fee, so fees fit the packed uint112 fields.
    uint256 public constant VAULT_CAP = type(uint112).max;

    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address maker,uint32 marketId,bool isBuy,uint64 priceTicks,uint64 quantityLots,"
        "uint64 expiry,uint64 salt,uint32 epoch,uint16 maxFeeBps)"
    );

    /// @inheritdoc IExchange
    uint256 public constant ERC1271_GAS_LIMIT = 200_000;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _FILLED_MASK = type(uint64).max;
    uint256 private constant _CANCELLED = 1 << 64;
    /// @dev Gas `_isValidERC1271` needs beyond the call's own limit: the 1/64 that EIP-150
    ///      keeps back, a cold account access (2,600) and the few opcodes before the call.
    uint256 private constant _ERC1271_GAS_RESERVE = ERC1271_GAS_LIMIT / 63 + 5_000;
    /// @dev Size of an encoded `Order` (nine static fields).
    uint256 private constant _ORDER_SIZE = 9 * 32;
    /// @dev The constructor registers WETH first (see `_registerToken`).
    uint32 private constant _WETH_TOKEN_ID = 1;

    // --------------------------------------------------------------------------- STORAGE

    /// @dev Two slots, both read by every fill: tokens are named by their registry ids (see
    ///      `_tokenIds`), so tokens, grid and fees fit one word. The grid limits
    ///      (lotSize < 2**96, tickSize < 2**64) keep every amount below 2**192 (quantity and
    ///      price are uint64). Settlement reads the slots as raw words (`_readMarket`), so the
    ///      packing below is also spelled out where they are decoded.
    struct MarketStorage {
        // slot 0: written only by createMarket / updateMarket
        uint32 baseId;
        uint32 quoteId;
        uint96 lotSize;
        uint64 tickSize;
        uint16 makerFeeBps;
        uint16 takerFeeBps;
        // slot 1: also written once per batch (per market) that pays a fee
        uint112 baseFees;
        uint112 quoteFees;
        uint24 minQuantityLots;
        bool active;
    }

    /// @dev `tokenId` is the token's registry id, kept so that `withdraw` needs no lookup.
    struct WithdrawalRequest {
        uint128 amount;
        uint64 unlocksAt;
        uint32 tokenId;
    }

    /// @dev A market as settlement uses it, loaded once per batch into memory, with the fees
    ///      the batch accrued so far (written to storage by `_flushFees`). `marketId` 0 means
    ///      "none loaded": market 0 never exists, so a match naming it meets `active == false`.
    struct MarketCache {
        uint256 marketId;
        uint256 config; // slot 0 as it is stored: tokens, grid and fees (see MarketStorage)
        uint256 makerFeeBps;
        uint256 takerFeeBps;
        uint256 minQuantityLots;
        bool active;
        uint256 baseFees;
        uint256 quoteFees;
    }

    /// @dev The amounts of one fill, in memory to stay clear of stack limits; one per call,
    ///      overwritten by every match (see Batch). `_moveFunds` writes every field before
    ///      anything reads it.
    struct Fill {
        uint256 baseAmount;
        uint256 quoteAmount;
        uint256 buyerFee; // in base
        uint256 sellerFee; // in quote
    }

    /// @dev What a `settle` call reuses for every match: memory is never freed, so allocating
    ///      per match would make the memory cost of a batch grow quadratically.
    struct Batch {
        MarketCache mkt;
        Fill fill;
        Order maker; // a buffer from _allocateOrderBuffer
        Order taker; // a buffer from _allocateOrderBuffer
        bytes32 domain; // the EIP-712 domain separator
        EpochFloor makerEpochs; // the last maker side's epochs
        EpochFloor takerEpochs; // the last taker side's epochs
    }

    /// @dev The epoch an order of `maker` in `marketId` must reach (the higher of the maker's
    ///      global and market epochs), remembered for the next match on the same side: epochs
    ///      cannot change during a call (settlement makes no state-changing external call).
    ///      `marketId` 0 means empty (an order of market 0 never gets this far).
    struct EpochFloor {
        address maker;
        uint256 marketId;
        uint256 floor;
    }

    address private immutable _weth;

    // Declared first so that they share Pausable's `_paused` slot (read by every fill).
    address private _feeRecipient;
    uint32 private _withdrawalDelay;
    /// @dev How many tokens have a registry id (ids are 1.._tokenCount).
    uint32 private _tokenCount;

    mapping(uint32 marketId => MarketStorage) private _markets;
    /// @dev Low 64 bits: lots filled; bit 64: cancelled. One word, so one SLOAD and one SSTORE.
    mapping(bytes32 orderHash => uint256 state) private _orderStates;
    /// @dev The token registry: a token gets the next id when a market or a deposit first
    ///      names it, and keeps it forever. 0 means "never registered" (no balance).
    mapping(address token => uint32 tokenId) private _tokenIds;
    mapping(uint32 tokenId => address token) private _tokens;
    /// @dev Keyed by `_balanceKey(account, tokenId)`: one hash per balance slot.
    mapping(uint256 accountAndTokenId => uint256 balance) private _balances;
    mapping(address token => mapping(address account => WithdrawalRequest)) private _withdrawals;
    /// @dev A maker's epochs, eight uint32 lanes per word, keyed by `_epochKey(maker, w)`:
    ///      lane `i` of word `w` is market `8w + i`. Market 0 does not exist, so lane 0 of word
    ///      0 holds the maker's global epoch: for markets 1-7 one SLOAD reads both epochs an
    ///      order is checked against.
    mapping(uint256 makerAndWord => uint256 lanes) private _epochLanes;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and PAUSER_ROLE.
    /// @param weth_ The WETH contract for depositETH / withdrawETH.
    /// @param feeRecipient_ Receives collected fees.
    /// @param withdrawalDelay_ Initial withdrawal delay, within bounds.
    constructor(address admin, address weth_, address feeRecipient_, uint32 withdrawalDelay_)
        EIP712("TigerEx", "1")
    {
        if (admin == address(0) || weth_ == address(0) || feeRecipient_ == address(0)) {
            revert ExchangeZeroAddress();
        }
        _checkDelay(withdrawalDelay_);
        _weth = weth_;
        _feeRecipient = feeRecipient_;
        _withdrawalDelay = withdrawalDelay_;
        // WETH is the first token registered: depositETH needs no lookup.
        _registerToken(weth_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        emit FeeRecipientChanged(address(0), feeRecipient_);
        emit WithdrawalDelayChanged(0, withdrawalDelay_);
    }

    /// @dev Only WETH sends ether here (while unwrapping for withdrawETH).
    receive() external payable {
        if (msg.sender != _weth) revert ExchangeEtherRejected(msg.sender);
    }

    // ------------------------------------------------------------------------------ VAULT

    /// @inheritdoc IExchange
    function deposit(address token, uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert ExchangeZeroAmount();
        uint32 tokenId = _tokenIdOrRegister(token);
        // The transfer comes first by necessity: only the balance difference says what arrived
        // (fee-on-transfer tokens). nonReentrant guards the window.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        _credit(token, tokenId, before + received, received);
    }

    /// @inheritdoc IExchange
    function depositETH() external payable whenNotPaused nonReentrant {
        if (msg.value == 0) revert ExchangeZeroAmount();
        uint256 before = IERC20(_weth).balanceOf(address(this));
        IWrappedEther(_weth).deposit{value: msg.value}();
        _credit(_weth, _WETH_TOKEN_ID, before + msg.value, msg.value);
    }

    /// @inheritdoc IExchange
    function requestWithdrawal(address token, uint256 amount) external {
        if (amount == 0) revert ExchangeZeroAmount();
        // An unregistered token has id 0, under which no balance is ever credited.
        uint32 tokenId = _tokenIds[token];
        uint256 balance = _balances[_balanceKey(msg.sender, tokenId)];
        if (amount > balance) revert ExchangeInsufficientBalance(token, msg.sender, balance, amount);
        uint64 unlocksAt = uint64(block.timestamp) + _withdrawalDelay;
        // amount <= balance <= VAULT_CAP < 2**128
        _withdrawals[token][msg.sender] = WithdrawalRequest(uint128(amount), unlocksAt, tokenId);
        emit WithdrawalRequested(token, msg.sender, amount, unlocksAt);
    }

    /// @inheritdoc IExchange
    function withdraw(address token) external nonReentrant {
        uint256 amount = _consumeWithdrawal(token);
        IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IExchange
    function withdrawETH() external nonReentrant {
        uint256 amount = _consumeWithdrawal(_weth);
        IWrappedEther(_weth).withdraw(amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ------------------------------------------------------------------------- SETTLEMENT

    /// @inheritdoc IExchange
    function settle(Match[] calldata matches) external onlyRole(OPERATOR_ROLE) whenNotPaused nonReentrant {
        Batch memory b;
        b.maker = _asOrderAllocator(_allocateOrderBuffer)();
        b.taker = _asOrderAllocator(_allocateOrderBuffer)();
        b.domain = _domainSeparatorV4();
        uint256 count = matches.length;
        for (uint256 i; i < count;) {
            Match calldata m = matches[i];
            bytes32 makerHash = _loadOrder(m.maker, b.maker, b.domain);
            bytes32 takerHash = _loadOrder(m.taker, b.taker, b.domain);
            SkipReason reason = _settleMatch(m, b, makerHash, takerHash);
            if (reason != SkipReason.None) emit MatchSkipped(makerHash, takerHash, reason);
            // cannot overflow: i < count
            unchecked {
                ++i;
            }
        }
        _flushFees(b.mkt);
    }

    /// @inheritdoc IExchange
    /// @dev The checks of `_settleMatch` for the maker order, the caller's fee bound in place
    ///      of a taker order; a failed check reverts with ExchangeFillRejected. One fill, so
    ///      the market stays two words on the stack (no MarketCache) and its fees are written
    ///      from the word read here (nothing in between writes it).
    function fillOrder(Order calldata maker, bytes calldata signature, uint64 quantityLots, uint16 maxTakerFeeBps)
        external
        whenNotPaused
        nonReentrant
    {
        (Order memory order, Fill memory f) = _asDirectAllocator(_allocateDirectBuffers)();
        bytes32 makerHash = _loadOrder(maker, order, _domainSeparatorV4());
        (uint256 config, uint256 state) = _readMarket(order.marketId);
        if (state >> 248 == 0) _rejectFill(makerHash, SkipReason.MarketInactive);
        if (quantityLots == 0) _rejectFill(makerHash, SkipReason.QuantityZero);
        // The caller's bound plays the role of a taker order's maxFeeBps.
        if (config >> 240 > maxTakerFeeBps) _rejectFill(makerHash, SkipReason.TakerFeeAboveMax);
        uint256 makerState;
        {
            uint256 epochFloor = _readEpochFloor(order.maker, order.marketId);
            SkipReason reason;
            (reason, makerState) = _checkOrderState(
                order, makerHash, uint16(config >> 224), quantityLots, uint24(state >> 224), epochFloor
            );
            if (reason != SkipReason.None) _rejectFill(makerHash, reason);
        }
        if (makerState == quantityLots && !_isValidSignature(order.maker, makerHash, signature)) {
            _rejectFill(makerHash, SkipReason.MakerSignatureInvalid);
        }
        {
            SkipReason reason = _moveFunds(config, f, order, uint160(msg.sender), quantityLots);
            if (reason != SkipReason.None) _rejectFill(makerHash, reason);
        }
        _orderStates[makerHash] = makerState;
        _writeMarketState(order.marketId, state, f.buyerFee, f.sellerFee);
        _emitFilled(makerHash, bytes32(0), order, uint160(msg.sender), quantityLots, f);
    }

    // ---------------------------------------------------------------------------- CANCELS

    /// @inheritdoc IExchange
    function cancelOrder(Order calldata order) external {
        bytes32 orderHash = _hashOrder(order);
        if (order.maker != msg.sender) revert ExchangeNotOrderMaker(orderHash, msg.sender);
        uint256 state = _orderStates[orderHash];
        if (state & _CANCELLED != 0) revert ExchangeOrderAlreadyCancelled(orderHash);
        _orderStates[orderHash] = state | _CANCELLED;
        emit OrderCancelled(orderHash, msg.sender);
    }

    /// @inheritdoc IExchange
    function advanceEpoch(uint32 newEpoch) external {
        uint32 current = _readEpoch(msg.sender, 0);
        if (newEpoch <= current) revert ExchangeEpochNotIncreasing(current, newEpoch);
        _writeEpoch(msg.sender, 0, newEpoch);
        emit EpochAdvanced(msg.sender, newEpoch);
    }

    /// @inheritdoc IExchange
    function advanceMarketEpoch(uint32 marketId, uint32 newEpoch) external {
        // Market 0 does not exist; its lane is the global epoch.
        if (marketId == 0) revert ExchangeMarketUnknown(marketId);
        uint32 current = _readEpoch(msg.sender, marketId);
        if (newEpoch <= current) revert ExchangeEpochNotIncreasing(current, newEpoch);
        _writeEpoch(msg.sender, marketId, newEpoch);
        emit MarketEpochAdvanced(msg.sender, marketId, newEpoch);
    }

    // ------------------------------------------------------------------------------ ADMIN

    /// @inheritdoc IExchange
    function createMarket(
        uint32 marketId,
        address base,
        address quote,
        uint256 lotSize,
        uint256 tickSize,
        uint256 minQuantityLots,
        uint16 makerFeeBps,
        uint16 takerFeeBps
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (marketId == 0 || _markets[marketId].baseId != 0) revert ExchangeMarketExists(marketId);
        if (
            base == address(0) || quote == address(0) || base == quote || lotSize == 0
                || lotSize > type(uint96).max || tickSize == 0 || tickSize > type(uint64).max
                || minQuantityLots == 0 || minQuantityLots > type(uint24).max
        ) revert ExchangeInvalidMarketParams(marketId);
        _checkFee(makerFeeBps);
        _checkFee(takerFeeBps);
        _markets[marketId] = MarketStorage({
            baseId: _tokenIdOrRegister(base),
            quoteId: _tokenIdOrRegister(quote),
            lotSize: uint96(lotSize),
            tickSize: uint64(tickSize),
            makerFeeBps: makerFeeBps,
            takerFeeBps: takerFeeBps,
            baseFees: 0,
            quoteFees: 0,
            minQuantityLots: uint24(minQuantityLots),
            active: true
        });
        emit MarketCreated(marketId, base, quote, lotSize, tickSize, minQuantityLots, makerFeeBps, takerFeeBps);
    }

    /// @inheritdoc IExchange
    function updateMarket(
        uint32 marketId,
        uint16 makerFeeBps,
        uint16 takerFeeBps,
        uint256 minQuantityLots,
        bool active
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketStorage storage mkt = _markets[marketId];
        if (mkt.baseId == 0) revert ExchangeMarketUnknown(marketId);
        if (minQuantityLots == 0 || minQuantityLots > type(uint24).max) revert ExchangeInvalidMarketParams(marketId);
        _checkFee(makerFeeBps);
        _checkFee(takerFeeBps);
        mkt.makerFeeBps = makerFeeBps;
        mkt.takerFeeBps = takerFeeBps;
        mkt.minQuantityLots = uint24(minQuantityLots);
        mkt.active = active;
        emit MarketUpdated(marketId, makerFeeBps, takerFeeBps, minQuantityLots, active);
    }

    /// @inheritdoc IExchange
    function collectFees(uint32 marketId) external nonReentrant {
        MarketStorage storage mkt = _markets[marketId];
        uint32 baseId = mkt.baseId;
        if (baseId == 0) revert ExchangeMarketUnknown(marketId);
        uint256 baseFees = mkt.baseFees;
        uint256 quoteFees = mkt.quoteFees;
        address recipient = _feeRecipient;
        mkt.baseFees = 0;
        mkt.quoteFees = 0;
        emit FeesCollected(marketId, recipient, baseFees, quoteFees);
        if (baseFees != 0) IERC20(_tokens[baseId]).safeTransfer(recipient, baseFees);
        if (quoteFees != 0) IERC20(_tokens[mkt.quoteId]).safeTransfer(recipient, quoteFees);
    }

    /// @inheritdoc IExchange
    function setFeeRecipient(address recipient) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (recipient == address(0)) revert ExchangeZeroAddress();
        emit FeeRecipientChanged(_feeRecipient, recipient);
        _feeRecipient = recipient;
    }

    /// @inheritdoc IExchange
    function setWithdrawalDelay(uint32 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkDelay(delay);
        emit WithdrawalDelayChanged(_withdrawalDelay, delay);
        _withdrawalDelay = delay;
    }

    /// @inheritdoc IExchange
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IExchange
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------------------ VIEWS

    /// @inheritdoc IExchange
    function weth() external view returns (address) {
        return _weth;
    }

    /// @inheritdoc IExchange
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IExchange
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order);
    }

    /// @inheritdoc IExchange
    function filled(bytes32 orderHash) external view returns (uint64) {
        return uint64(_orderStates[orderHash]);
    }

    /// @inheritdoc IExchange
    function cancelled(bytes32 orderHash) external view returns (bool) {
        return _orderStates[orderHash] & _CANCELLED != 0;
    }

    /// @inheritdoc IExchange
    function balanceOf(address token, address account) external view returns (uint256) {
        return _balances[_balanceKey(account, _tokenIds[token])];
    }

    /// @inheritdoc IExchange
    function pendingWithdrawal(address token, address account)
        external
        view
        returns (uint256 amount, uint64 unlocksAt)
    {
        WithdrawalRequest memory request = _withdrawals[token][account];
        return (request.amount, request.unlocksAt);
    }

    /// @inheritdoc IExchange
    function epoch(address maker) external view returns (uint32) {
        return _readEpoch(maker, 0);
    }

    /// @inheritdoc IExchange
    function marketEpoch(address maker, uint32 marketId) external view returns (uint32) {
        return marketId == 0 ? 0 : _readEpoch(maker, marketId);
    }

    /// @inheritdoc IExchange
    function market(uint32 marketId) external view returns (MarketInfo memory info) {
        MarketStorage memory mkt = _markets[marketId];
        info = MarketInfo({
            base: _tokens[mkt.baseId],
            quote: _tokens[mkt.quoteId],
            lotSize: mkt.lotSize,
            tickSize: mkt.tickSize,
            minQuantityLots: mkt.minQuantityLots,
            makerFeeBps: mkt.makerFeeBps,
            takerFeeBps: mkt.takerFeeBps,
            active: mkt.active,
            accruedBaseFees: mkt.baseFees,
            accruedQuoteFees: mkt.quoteFees
        });
    }

    /// @inheritdoc IExchange
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @inheritdoc IExchange
    function withdrawalDelay() external view returns (uint32) {
        return _withdrawalDelay;
    }

    // --------------------------------------------------------------------------- INTERNAL

    /// @dev EIP-712 digest of an order in calldata: the nine static fields are already ABI
    ///      words, so the struct hash is keccak256(typehash || calldata words). Dirty high bits
    ///      in a field change the digest (so no signature matches) and make any Solidity read
    ///      of that field revert.
    function _hashOrder(Order calldata order) private view returns (bytes32) {
        bytes32 structHash;
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            // Scratch memory past the free memory pointer; the pointer is not moved.
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), order, _ORDER_SIZE)
            structHash := keccak256(ptr, add(_ORDER_SIZE, 0x20))
        }
        return _hashTypedDataV4(structHash);
    }

    /// @dev Copies an order from calldata into `order` (an Order buffer, see "Memory buffers"),
    ///      checks that every field fits its type (as ABI decoding would; a dirty field reverts
    ///      the call) and returns its EIP-712 digest. One copy and one range check per order
    ///      instead of a validated calldata read per field access.
    function _loadOrder(Order calldata src, Order memory order, bytes32 domain) private pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            calldatacopy(order, src, _ORDER_SIZE)
            let dirty := or(shr(160, mload(order)), shr(32, mload(add(order, 0x20)))) // maker, marketId
            dirty := or(dirty, shr(1, mload(add(order, 0x40)))) // isBuy
            // priceTicks, quantityLots, expiry, salt
            let words64 :=
                or(or(mload(add(order, 0x60)), mload(add(order, 0x80))), or(mload(add(order, 0xa0)), mload(add(order, 0xc0))))
            dirty := or(dirty, shr(64, words64))
            dirty := or(dirty, or(shr(32, mload(add(order, 0xe0))), shr(16, mload(add(order, 0x100))))) // epoch, maxFeeBps
            if dirty { revert(0, 0) }
            // The word before the buffer holds ORDER_TYPEHASH: the struct hash is one keccak.
            let structHash := keccak256(sub(order, 0x20), add(_ORDER_SIZE, 0x20))
            // EIP-712 digest, as MessageHashUtils.toTypedDataHash, in scratch past the free
            // memory pointer (not moved).
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), domain)
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
    }

    // Memory buffers. Legacy codegen zero-fills every memory struct a function declares or
    // returns (about 23 gas a word), and these buffers are written in full before anything
    // reads them. So they come from allocators that return raw pointers, called through a
    // function pointer retyped to return the structs (same stack shape): no memory struct is
    // declared on the way. An `Order` buffer is preceded by a word holding ORDER_TYPEHASH
    // (see `_loadOrder`).

    /// @dev One `Order` buffer (settle: one per side, reused by every match).
    function _allocateOrderBuffer() private pure returns (uint256 order) {
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            order := add(ptr, 0x20)
            mstore(0x40, add(order, _ORDER_SIZE))
        }
    }

    /// @dev An `Order` buffer and a `Fill` (fillOrder), in one allocation.
    function _allocateDirectBuffers() private pure returns (uint256 order, uint256 f) {
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            order := add(ptr, 0x20)
            f := add(order, _ORDER_SIZE)
            mstore(0x40, add(f, 0x80)) // four words
        }
    }

    function _asOrderAllocator(function() pure returns (uint256) allocator)
        private
        pure
        returns (function() pure returns (Order memory) typed)
    {
        assembly ("memory-safe") {
            typed := allocator
        }
    }

    function _asDirectAllocator(function() pure returns (uint256, uint256) allocator)
        private
        pure
        returns (function() pure returns (Order memory, Fill memory) typed)
    {
        assembly ("memory-safe") {
            typed := allocator
        }
    }

    /// @dev Checks one match; on success moves the funds, accrues the fees in `mkt` and emits
    ///      OrderFilled, otherwise changes nothing and returns the reason. Checks in the order
    ///      of the SkipReason codes: pair checks, then the maker's, the taker's, then funds.
    function _settleMatch(Match calldata m, Batch memory b, bytes32 makerHash, bytes32 takerHash)
        private
        returns (SkipReason reason)
    {
        Order memory maker = b.maker;
        Order memory taker = b.taker;
        MarketCache memory mkt = b.mkt;
        Fill memory f = b.fill;
        uint64 quantity = m.quantityLots;
        reason = _checkPair(maker, taker, quantity, mkt);
        if (reason != SkipReason.None) return reason;
        uint256 makerState;
        (reason, makerState) = _checkOrder(m, b, false, makerHash, quantity);
        if (reason != SkipReason.None) return reason;
        uint256 takerState;
        (reason, takerState) = _checkOrder(m, b, true, takerHash, quantity);
        // Taker reasons are the maker's plus one (see SkipReason).
        if (reason != SkipReason.None) return SkipReason(uint8(reason) + 1);

        reason = _moveFunds(mkt.config, f, maker, uint160(taker.maker), quantity);
        if (reason != SkipReason.None) return reason;
        _orderStates[makerHash] = makerState;
        _orderStates[takerHash] = takerState;
        // cannot overflow: fees come out of balances <= VAULT_CAP; _flushFees checks the sums
        unchecked {
            mkt.baseFees += f.buyerFee;
            mkt.quoteFees += f.sellerFee;
        }
        _emitFilled(makerHash, takerHash, maker, uint160(taker.maker), quantity, f);
    }

    function _rejectFill(bytes32 orderHash, SkipReason reason) private pure {
        revert ExchangeFillRejected(orderHash, reason);
    }

    /// @dev Checks that need both orders: same active market, opposite sides, crossing prices
    ///      (the fill is at the maker's price), a non-zero quantity. Loads the market into
    ///      `mkt` when the match names another one than the previous match (fees accrued so
    ///      far for the previous market are written first).
    function _checkPair(Order memory maker, Order memory taker, uint64 quantity, MarketCache memory mkt)
        private
        returns (SkipReason)
    {
        uint32 marketId = maker.marketId;
        if (taker.marketId != marketId) return SkipReason.MarketMismatch;
        if (marketId != mkt.marketId) {
            _flushFees(mkt);
            _loadMarket(mkt, marketId);
        }
        if (!mkt.active) return SkipReason.MarketInactive;
        bool makerBuys = maker.isBuy;
        if (taker.isBuy == makerBuys) return SkipReason.SidesNotOpposite;
        uint64 price = maker.priceTicks;
        if (makerBuys ? taker.priceTicks > price : taker.priceTicks < price) return SkipReason.PricesNotCrossing;
        if (quantity == 0) return SkipReason.QuantityZero;
        return SkipReason.None;
    }

    /// @dev `_checkOrderState` for the maker or (`isTaker`) the taker order of `m`, loaded in
    ///      `b`; then its signature if it has no recorded fill: a recorded fill proves it.
    function _checkOrder(Match calldata m, Batch memory b, bool isTaker, bytes32 orderHash, uint64 quantity)
        private
        view
        returns (SkipReason reason, uint256 newState)
    {
        Order memory order = isTaker ? b.taker : b.maker;
        (reason, newState) = _checkOrderState(
            order,
            orderHash,
            isTaker ? b.mkt.takerFeeBps : b.mkt.makerFeeBps,
            quantity,
            b.mkt.minQuantityLots,
            _epochFloor(isTaker ? b.takerEpochs : b.makerEpochs, order.maker, order.marketId)
        );
        if (reason != SkipReason.None) return (reason, 0);
        // newState == quantity: nothing was filled before this fill
        if (newState == quantity) {
            bytes calldata signature = isTaker ? m.takerSignature : m.makerSignature;
            if (!_isValidSignature(order.maker, orderHash, signature)) return (SkipReason.MakerSignatureInvalid, 0);
        }
    }

    /// @dev Order-level checks but the signature, with the maker's reason codes; returns the
    ///      order's new state word (filled lots after this fill, not cancelled). `epochFloor`
    ///      is the epoch the order must reach (`_readEpochFloor`).
    function _checkOrderState(
        Order memory order,
        bytes32 orderHash,
        uint256 feeBps,
        uint256 quantity,
        uint256 minQuantityLots,
        uint256 epochFloor
    ) private view returns (SkipReason, uint256) {
        if (block.timestamp >= order.expiry) return (SkipReason.MakerExpired, 0);
        if (feeBps > order.maxFeeBps) return (SkipReason.MakerFeeAboveMax, 0);
        uint256 total = order.quantityLots;
        if (total < minQuantityLots) return (SkipReason.MakerBelowMinQuantity, 0);
        uint256 state = _orderStates[orderHash];
        if (state & _CANCELLED != 0) return (SkipReason.MakerCancelled, 0);
        // Not cancelled, so the word is the filled quantity: at most total (checked below).
        // cannot underflow: state <= total
        unchecked {
            if (quantity > total - state) return (SkipReason.MakerOverfill, 0);
        }
        if (order.epoch < epochFloor) return (SkipReason.MakerEpochStale, 0);
        // cannot overflow: state + quantity <= total < 2**64, so the cancelled bit stays clear
        unchecked {
            return (SkipReason.None, state + quantity);
        }
    }

    /// @dev ECDSA first (no EXTCODESIZE for the common EOA case), then EIP-1271 if the signer
    ///      has code. ECDSA recovery follows OZ `ECDSA.tryRecoverCalldata`'s rules without its
    ///      memory allocation and error plumbing (this runs once per new order): a 65-byte
    ///      `r || s || v` signature, a low `s` (a high `s` is malleable: EIP-2), `v` 27 or 28;
    ///      anything else, or an input the precompile refuses, recovers address(0), which never
    ///      counts as the signer.
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        address recovered;
        if (signature.length == 65) {
            assembly ("memory-safe") {
                let r := calldataload(signature.offset)
                let s := calldataload(add(signature.offset, 0x20))
                let v := byte(0, calldataload(add(signature.offset, 0x40)))
                // s <= secp256k1n / 2
                if iszero(gt(s, 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0)) {
                    // ecrecover(digest, v, r, s) in scratch past the free memory pointer (not
                    // moved); it returns no data for an invalid input (v included), and then
                    // recovered stays 0.
                    let ptr := mload(0x40)
                    mstore(ptr, digest)
                    mstore(add(ptr, 0x20), v)
                    mstore(add(ptr, 0x40), r)
                    mstore(add(ptr, 0x60), s)
                    mstore(0x00, 0)
                    if staticcall(gas(), 0x01, ptr, 0x80, 0x00, 0x20) { recovered := mload(0x00) }
                }
            }
        }
        if (recovered == signer && signer != address(0)) return true;
        return signer.code.length != 0 && _isValidERC1271(signer, digest, signature);
    }

    /// @dev EIP-1271 `isValidSignature` with at most ERC1271_GAS_LIMIT gas, so a hostile
    ///      contract signer can waste no more than that of a batch: running out of it, reverting
    ///      or returning anything but the magic value (32 bytes, only the first word is read,
    ///      so a return-data bomb costs the signer, not us) all count as an invalid signature.
    ///      Reverts if less than the limit is left for the call: otherwise the sender of the
    ///      transaction could starve an honest wallet's check and have its order skipped.
    function _isValidERC1271(address signer, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool valid)
    {
        bytes4 magic = IERC1271.isValidSignature.selector;
        uint256 length = signature.length;
        uint256 needed = ERC1271_GAS_LIMIT + _ERC1271_GAS_RESERVE + length;
        if (gasleft() < needed) revert ExchangeSignatureCheckGasTooLow(signer, needed);
        assembly ("memory-safe") {
            // isValidSignature(bytes32 digest, bytes signature), ABI-encoded past the free
            // memory pointer (scratch: the pointer is not moved)
            let ptr := mload(0x40)
            mstore(ptr, magic)
            mstore(add(ptr, 0x04), digest)
            mstore(add(ptr, 0x24), 0x40)
            mstore(add(ptr, 0x44), length)
            calldatacopy(add(ptr, 0x64), signature.offset, length)
            mstore(add(add(ptr, 0x64), length), 0)
            let size := add(0x64, and(add(length, 0x1f), not(0x1f)))
            mstore(0x00, 0)
            let ok := staticcall(ERC1271_GAS_LIMIT, signer, ptr, size, 0x00, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0x00), magic)))
        }
    }

    /// @dev Loads market `marketId` into `mkt` (two SLOADs; fees start at zero).
    function _loadMarket(MarketCache memory mkt, uint32 marketId) private view {
        (uint256 config, uint256 state) = _readMarket(marketId);
        // The packing of MarketStorage: lowest-order bytes first.
        mkt.marketId = marketId;
        mkt.config = config;
        mkt.makerFeeBps = uint16(config >> 224);
        mkt.takerFeeBps = config >> 240;
        mkt.minQuantityLots = uint24(state >> 224);
        mkt.active = (state >> 248) != 0;
        mkt.baseFees = 0;
        mkt.quoteFees = 0;
    }

    /// @dev The two words of market `marketId`, raw (see MarketStorage for the packing).
    function _readMarket(uint256 marketId) private view returns (uint256 config, uint256 state) {
        assembly ("memory-safe") {
            // _markets[marketId] is at keccak256(marketId . _markets.slot)
            mstore(0x00, marketId)
            mstore(0x20, _markets.slot)
            let slot := keccak256(0x00, 0x40)
            config := sload(slot)
            state := sload(add(slot, 1))
        }
    }

    /// @dev Adds the fees accrued in `mkt` to its market's storage (one SSTORE) and zeroes
    ///      them.
    function _flushFees(MarketCache memory mkt) private {
        uint256 baseFees = mkt.baseFees;
        uint256 quoteFees = mkt.quoteFees;
        if (baseFees == 0 && quoteFees == 0) return;
        uint32 marketId = uint32(mkt.marketId);
        (, uint256 state) = _readMarket(marketId);
        _writeMarketState(marketId, state, baseFees, quoteFees);
        mkt.baseFees = 0;
        mkt.quoteFees = 0;
    }

    /// @dev Writes market slot 1 as `state` (its current value) plus the fees accrued. The sums
    ///      fit: fees are taken from vault balances, and balances plus accrued fees of a token
    ///      never exceed what the contract holds (<= VAULT_CAP < 2**112); checked all the same.
    function _writeMarketState(uint256 marketId, uint256 state, uint256 baseFees, uint256 quoteFees) private {
        uint256 newBase;
        uint256 newQuote;
        // cannot overflow: each term < 2**200 (fees are at most 1% of amounts < 2**192)
        unchecked {
            newBase = uint112(state) + baseFees;
            newQuote = uint112(state >> 112) + quoteFees;
        }
        if (newBase > type(uint112).max) revert SafeCast.SafeCastOverflowedUintDowncast(112, newBase);
        if (newQuote > type(uint112).max) revert SafeCast.SafeCastOverflowedUintDowncast(112, newQuote);
        // minQuantityLots and active (the top 32 bits) are kept as they are.
        uint256 word = (state >> 224 << 224) | (newQuote << 112) | newBase;
        assembly ("memory-safe") {
            // _markets[marketId] is at keccak256(marketId . _markets.slot); this is its slot 1.
            mstore(0x00, marketId)
            mstore(0x20, _markets.slot)
            sstore(add(keccak256(0x00, 0x40), 1), word)
        }
    }

    /// @dev Moves the funds of one fill in the market whose slot 0 is `config`, or returns why
    ///      it cannot and changes nothing: the seller must hold the base and the buyer the
    ///      quote it pays. Writes the exact amounts and fees to `f` (for the event and the fee
    ///      accrual, which is the caller's). Written in assembly: it runs once per fill, and in
    ///      Solidity its calls, checked reads of `f` and mapping accesses cost about as much
    ///      again as the work.
    ///
    ///      No arithmetic can overflow: quantity and price are < 2**64, lotSize < 2**96 and
    ///      tickSize < 2**64 (createMarket), so amounts < 2**192 and amount * MAX_FEE_BPS
    ///      < 2**199. No debit underflows: each is checked against the balance just read; no
    ///      credit overflows: balances and accrued fees of a token sum to at most what the
    ///      contract holds, <= VAULT_CAP < 2**112, and a fee (<= 1%) never exceeds its
    ///      amount. Debits are written before credits are read, so a self-trade
    ///      (buyer == seller) stays exact; base and quote ids differ (createMarket). `taker`
    ///      (an address) and `quantity` come as words: assembly sees a narrow Solidity value's
    ///      stack word as it is, and the caller's conversion to uint256 cleans it.
    function _moveFunds(uint256 config, Fill memory f, Order memory maker, uint256 taker, uint256 quantity)
        private
        returns (SkipReason)
    {
        uint256 short; // 1: the seller lacks base, 2: the buyer lacks quote
        assembly ("memory-safe") {
            // Amounts and fees into f. MarketStorage slot 0, lowest-order bytes first: baseId
            // (32 bits), quoteId (32), lotSize (96), tickSize (64), makerFeeBps (16),
            // takerFeeBps (16). The buyer pays its fee in base, the seller in quote.
            {
                let baseAmount := mul(quantity, and(shr(64, config), 0xffffffffffffffffffffffff))
                let quoteAmount :=
                    mul(mul(quantity, mload(add(maker, 0x60))), and(shr(160, config), 0xffffffffffffffff))
                mstore(f, baseAmount)
                mstore(add(f, 0x20), quoteAmount)
                let makerFeeBps := and(shr(224, config), 0xffff)
                let takerFeeBps := shr(240, config)
                // `maker` is range-checked: isBuy is 0 or 1.
                switch mload(add(maker, 0x40))
                case 0 {
                    mstore(add(f, 0x40), div(mul(baseAmount, takerFeeBps), _BPS))
                    mstore(add(f, 0x60), div(mul(quoteAmount, makerFeeBps), _BPS))
                }
                default {
                    mstore(add(f, 0x40), div(mul(baseAmount, makerFeeBps), _BPS))
                    mstore(add(f, 0x60), div(mul(quoteAmount, takerFeeBps), _BPS))
                }
            }
            // The maker sells unless it buys.
            let buyer := taker
            let seller := mload(maker)
            if mload(add(maker, 0x40)) {
                buyer := seller
                seller := taker
            }
            // _balances[_balanceKey(account, tokenId)] is at keccak256(key . _balances.slot).
            mstore(0x20, _balances.slot)
            // The debits, if both balances suffice.
            {
                mstore(0x00, or(shl(32, seller), and(config, 0xffffffff)))
                let sellerBaseSlot := keccak256(0x00, 0x40)
                let sellerBase := sload(sellerBaseSlot)
                mstore(0x00, or(shl(32, buyer), and(shr(32, config), 0xffffffff)))
                let buyerQuoteSlot := keccak256(0x00, 0x40)
                let buyerQuote := sload(buyerQuoteSlot)
                switch lt(sellerBase, mload(f))
                case 1 { short := 1 }
                default {
                    switch lt(buyerQuote, mload(add(f, 0x20)))
                    case 1 { short := 2 }
                    default {
                        sstore(sellerBaseSlot, sub(sellerBase, mload(f)))
                        sstore(buyerQuoteSlot, sub(buyerQuote, mload(add(f, 0x20))))
                    }
                }
            }
            // The credits, net of fees, read after the debits were written.
            if iszero(short) {
                mstore(0x00, or(shl(32, buyer), and(config, 0xffffffff)))
                let slot := keccak256(0x00, 0x40)
                sstore(slot, add(sload(slot), sub(mload(f), mload(add(f, 0x40)))))
                mstore(0x00, or(shl(32, seller), and(shr(32, config), 0xffffffff)))
                slot := keccak256(0x00, 0x40)
                sstore(slot, add(sload(slot), sub(mload(add(f, 0x20)), mload(add(f, 0x60)))))
            }
        }
        if (short == 0) return SkipReason.None;
        // The seller is the maker unless the maker buys.
        return (short == 1) != maker.isBuy ? SkipReason.MakerInsufficientBalance : SkipReason.TakerInsufficientBalance;
    }

    /// @dev Emits OrderFilled for a fill `_moveFunds` wrote to `f`; `taker` (an address) and
    ///      `quantity` come as clean words (see `_moveFunds`).
    function _emitFilled(
        bytes32 makerHash,
        bytes32 takerHash,
        Order memory maker,
        uint256 taker,
        uint256 quantity,
        Fill memory f
    ) private {
        bytes32 topic = OrderFilled.selector;
        // emit OrderFilled(makerHash, takerHash, maker.maker, taker, maker.marketId, quantity,
        //     maker.priceTicks, f.baseAmount, f.quoteAmount, makerFee, takerFee), encoded by hand
        // (it runs once per fill): every field is a clean static word, the order was
        // range-checked by _loadOrder.
        assembly ("memory-safe") {
            // In scratch past the free memory pointer (not moved).
            let ptr := mload(0x40)
            mstore(ptr, taker)
            mstore(add(ptr, 0x20), mload(add(maker, 0x20))) // marketId
            mstore(add(ptr, 0x40), quantity)
            mstore(add(ptr, 0x60), mload(add(maker, 0x60))) // priceTicks
            mcopy(add(ptr, 0x80), f, 0x40) // baseAmount, quoteAmount
            // The buyer's fee is f.buyerFee: the maker's if it buys (isBuy is 0 or 1).
            let makerBuys := mload(add(maker, 0x40))
            mstore(add(ptr, 0xc0), mload(add(f, sub(0x60, shl(5, makerBuys))))) // makerFee
            mstore(add(ptr, 0xe0), mload(add(f, add(0x40, shl(5, makerBuys))))) // takerFee
            log4(ptr, 0x100, topic, makerHash, takerHash, mload(maker))
        }
    }

    function _credit(address token, uint32 tokenId, uint256 held, uint256 amount) private {
        if (held > VAULT_CAP) revert ExchangeDepositCapExceeded(token, held, VAULT_CAP);
        // cannot overflow: the sum of balances of a token is bounded by what the contract holds
        unchecked {
            _balances[_balanceKey(msg.sender, tokenId)] += amount;
        }
        emit Deposited(token, msg.sender, amount);
    }

    /// @dev Checks and clears the caller's request; debits min(requested, balance).
    function _consumeWithdrawal(address token) private returns (uint256 amount) {
        WithdrawalRequest memory request = _withdrawals[token][msg.sender];
        if (request.unlocksAt == 0) revert ExchangeNoWithdrawalRequest(token, msg.sender);
        if (block.timestamp < request.unlocksAt) {
            revert ExchangeWithdrawalLocked(token, msg.sender, request.unlocksAt);
        }
        uint256 key = _balanceKey(msg.sender, request.tokenId);
        uint256 balance = _balances[key];
        amount = request.amount < balance ? request.amount : balance;
        delete _withdrawals[token][msg.sender];
        // cannot underflow: amount <= balance
        unchecked {
            _balances[key] = balance - amount;
        }
        emit Withdrawn(token, msg.sender, amount);
    }

    /// @dev `_readEpochFloor`, remembered in `cache` (see EpochFloor).
    function _epochFloor(EpochFloor memory cache, address maker, uint32 marketId) private view returns (uint256 floor) {
        if (cache.maker == maker && cache.marketId == marketId) return cache.floor;
        floor = _readEpochFloor(maker, marketId);
        cache.maker = maker;
        cache.marketId = marketId;
        cache.floor = floor;
    }

    /// @dev The epoch an order of `maker` in `marketId` must reach: the higher of the maker's
    ///      global epoch and its epoch in `marketId` (>= 1: settlement only reaches here for an
    ///      active, hence existing, market).
    function _readEpochFloor(address maker, uint32 marketId) private view returns (uint256) {
        uint256 word0 = _epochLanes[uint160(maker)]; // _epochKey(maker, 0)
        uint256 lanes = marketId < 8 ? word0 : _epochLanes[_epochKey(maker, marketId >> 3)];
        uint256 global = uint32(word0);
        uint256 inMarket = uint32(lanes >> ((marketId & 7) << 5));
        return global > inMarket ? global : inMarket;
    }

    function _readEpoch(address maker, uint32 marketId) private view returns (uint32) {
        return uint32(_epochLanes[_epochKey(maker, marketId >> 3)] >> ((marketId & 7) << 5));
    }

    function _writeEpoch(address maker, uint32 marketId, uint32 newEpoch) private {
        uint256 shift = uint256(marketId & 7) << 5;
        uint256 key = _epochKey(maker, marketId >> 3);
        uint256 lanes = _epochLanes[key];
        _epochLanes[key] = (lanes & ~(uint256(type(uint32).max) << shift)) | (uint256(newEpoch) << shift);
    }

    /// @dev The `_balances` key of `account`'s balance of token `tokenId`: distinct for distinct
    ///      pairs (the id takes the low 32 bits, the account the 160 above).
    function _balanceKey(address account, uint256 tokenId) private pure returns (uint256) {
        return (uint256(uint160(account)) << 32) | tokenId;
    }

    /// @dev The `_epochLanes` key of `maker`'s lane word `word` (< 2**29): distinct for distinct
    ///      pairs (the account takes the low 160 bits, the word the bits above).
    function _epochKey(address maker, uint256 word) private pure returns (uint256) {
        return (word << 160) | uint160(maker);
    }

    /// @dev `token`'s registry id, registering it if it has none.
    function _tokenIdOrRegister(address token) private returns (uint32 tokenId) {
        tokenId = _tokenIds[token];
        if (tokenId == 0) tokenId = _registerToken(token);
    }

    /// @dev Gives `token` (not yet registered) the next id. Checked arithmetic: the 2**32-1st
    ///      registration would revert, and each costs a caller two new storage slots.
    function _registerToken(address token) private returns (uint32 tokenId) {
        tokenId = ++_tokenCount;
        _tokenIds[token] = tokenId;
        _tokens[tokenId] = token;
    }

    function _checkFee(uint16 feeBps) private pure {
        if (feeBps > MAX_FEE_BPS) revert ExchangeFeeTooHigh(feeBps, MAX_FEE_BPS);
    }

    function _checkDelay(uint32 delay) private pure {
        if (delay < MIN_WITHDRAWAL_DELAY || delay > MAX_WITHDRAWAL_DELAY) {
            revert ExchangeWithdrawalDelayOutOfBounds(delay, MIN_WITHDRAWAL_DELAY, MAX_WITHDRAWAL_DELAY);
        }
    }
}
