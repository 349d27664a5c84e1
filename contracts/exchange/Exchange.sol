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
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IExchange} from "../interfaces/IExchange.sol";
import {IWrappedEther} from "../interfaces/IWrappedEther.sol";

/// @title Exchange
/// @notice TigerEx settlement contract: a vault plus on-chain verification and settlement of
///         EIP-712 signed limit orders, matched by the relayer (`settle`) or taken directly by
///         anyone (`fillOrder`). See IExchange and contracts/exchange/README.md.
/// @dev Storage is laid out for settlement gas: a market is three slots, an order's state one
///      slot, `_paused` shares its slot with the fee recipient and the withdrawal delay.
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

    uint256 private constant _BPS = 10_000;
    /// @dev Size of an encoded `Order` (nine static fields).
    uint256 private constant _ORDER_SIZE = 9 * 32;

    // --------------------------------------------------------------------------- STORAGE

    /// @dev Three slots; the grid limits (lotSize < 2**96, tickSize < 2**64) keep every
    ///      amount below 2**192 (quantity and price are uint64).
    struct MarketStorage {
        // slot 0
        address base;
        uint96 lotSize;
        // slot 1
        address quote;
        uint64 tickSize;
        uint16 makerFeeBps;
        uint16 takerFeeBps;
        // slot 2: written by every fill that pays a fee
        uint112 baseFees;
        uint112 quoteFees;
        uint24 minQuantityLots;
        bool active;
    }

    struct OrderState {
        uint64 filledLots;
        bool cancelled;
    }

    struct WithdrawalRequest {
        uint128 amount;
        uint64 unlocksAt;
    }

    /// @dev One fill, kept in memory to stay clear of stack limits.
    struct Fill {
        address base;
        address quote;
        address buyer;
        address seller;
        uint256 baseAmount;
        uint256 quoteAmount;
        uint256 buyerFee;
        uint256 sellerFee;
    }

    address private immutable _weth;

    // Declared first so that they share Pausable's `_paused` slot (read by every fill).
    address private _feeRecipient;
    uint32 private _withdrawalDelay;

    mapping(uint32 marketId => MarketStorage) private _markets;
    mapping(bytes32 orderHash => OrderState) private _orders;
    mapping(address token => mapping(address account => uint256 balance)) private _balances;
    mapping(address token => mapping(address account => WithdrawalRequest)) private _withdrawals;
    /// @dev A maker's epochs, eight uint32 lanes per word: lane `i` of word `w` is market
    ///      `8w + i`. Market 0 does not exist, so lane 0 of word 0 holds the maker's global
    ///      epoch: for markets 1-7 one SLOAD reads both epochs an order is checked against.
    mapping(address maker => mapping(uint256 word => uint256 lanes)) private _epochLanes;

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
        // The transfer comes first by necessity: only the balance difference says what arrived
        // (fee-on-transfer tokens). nonReentrant guards the window.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        _credit(token, before + received, received);
    }

    /// @inheritdoc IExchange
    function depositETH() external payable whenNotPaused nonReentrant {
        if (msg.value == 0) revert ExchangeZeroAmount();
        uint256 before = IERC20(_weth).balanceOf(address(this));
        IWrappedEther(_weth).deposit{value: msg.value}();
        _credit(_weth, before + msg.value, msg.value);
    }

    /// @inheritdoc IExchange
    function requestWithdrawal(address token, uint256 amount) external {
        if (amount == 0) revert ExchangeZeroAmount();
        uint256 balance = _balances[token][msg.sender];
        if (amount > balance) revert ExchangeInsufficientBalance(token, msg.sender, balance, amount);
        uint64 unlocksAt = uint64(block.timestamp) + _withdrawalDelay;
        // amount <= balance <= VAULT_CAP < 2**128
        _withdrawals[token][msg.sender] = WithdrawalRequest(uint128(amount), unlocksAt);
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
        uint256 count = matches.length;
        for (uint256 i; i < count;) {
            Match calldata m = matches[i];
            bytes32 makerHash = _hashOrder(m.maker);
            bytes32 takerHash = _hashOrder(m.taker);
            SkipReason reason = _settleMatch(m, makerHash, takerHash);
            if (reason != SkipReason.None) emit MatchSkipped(makerHash, takerHash, reason);
            // cannot overflow: i < count
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc IExchange
    function fillOrder(Order calldata maker, bytes calldata signature, uint64 quantityLots)
        external
        whenNotPaused
        nonReentrant
    {
        bytes32 makerHash = _hashOrder(maker);
        uint32 marketId = maker.marketId;
        MarketStorage memory mkt = _markets[marketId];
        SkipReason reason;
        if (!mkt.active) {
            reason = SkipReason.MarketInactive;
        } else if (quantityLots == 0) {
            reason = SkipReason.QuantityZero;
        } else {
            uint64 makerFilled;
            (reason, makerFilled) = _checkOrder(maker, makerHash, signature, mkt.makerFeeBps, quantityLots, mkt.minQuantityLots);
            if (reason == SkipReason.None) {
                Fill memory f = _fill(mkt, maker.isBuy, maker.maker, msg.sender, quantityLots, maker.priceTicks);
                reason = _checkBalances(f, maker.isBuy);
                if (reason == SkipReason.None) {
                    _orders[makerHash].filledLots = makerFilled;
                    _execute(f, mkt, marketId);
                    _emitFilled(makerHash, bytes32(0), maker, msg.sender, quantityLots, f);
                    return;
                }
            }
        }
        revert ExchangeFillRejected(makerHash, reason);
    }

    // ---------------------------------------------------------------------------- CANCELS

    /// @inheritdoc IExchange
    function cancelOrder(Order calldata order) external {
        bytes32 orderHash = _hashOrder(order);
        if (order.maker != msg.sender) revert ExchangeNotOrderMaker(orderHash, msg.sender);
        OrderState storage state = _orders[orderHash];
        if (state.cancelled) revert ExchangeOrderAlreadyCancelled(orderHash);
        state.cancelled = true;
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
        if (marketId == 0 || _markets[marketId].base != address(0)) revert ExchangeMarketExists(marketId);
        if (
            base == address(0) || quote == address(0) || base == quote || lotSize == 0
                || lotSize > type(uint96).max || tickSize == 0 || tickSize > type(uint64).max
                || minQuantityLots == 0 || minQuantityLots > type(uint24).max
        ) revert ExchangeInvalidMarketParams(marketId);
        _checkFee(makerFeeBps);
        _checkFee(takerFeeBps);
        _markets[marketId] = MarketStorage({
            base: base,
            lotSize: uint96(lotSize),
            quote: quote,
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
        if (mkt.base == address(0)) revert ExchangeMarketUnknown(marketId);
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
        if (mkt.base == address(0)) revert ExchangeMarketUnknown(marketId);
        uint256 baseFees = mkt.baseFees;
        uint256 quoteFees = mkt.quoteFees;
        address recipient = _feeRecipient;
        mkt.baseFees = 0;
        mkt.quoteFees = 0;
        emit FeesCollected(marketId, recipient, baseFees, quoteFees);
        if (baseFees != 0) IERC20(mkt.base).safeTransfer(recipient, baseFees);
        if (quoteFees != 0) IERC20(mkt.quote).safeTransfer(recipient, quoteFees);
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
        return _orders[orderHash].filledLots;
    }

    /// @inheritdoc IExchange
    function cancelled(bytes32 orderHash) external view returns (bool) {
        return _orders[orderHash].cancelled;
    }

    /// @inheritdoc IExchange
    function balanceOf(address token, address account) external view returns (uint256) {
        return _balances[token][account];
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
            base: mkt.base,
            quote: mkt.quote,
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

    /// @dev Checks one match; on success moves the funds and emits OrderFilled, otherwise
    ///      changes nothing and returns the reason.
    function _settleMatch(Match calldata m, bytes32 makerHash, bytes32 takerHash) private returns (SkipReason) {
        uint32 marketId = m.maker.marketId;
        MarketStorage memory mkt = _markets[marketId];
        SkipReason reason = _checkPair(m, mkt);
        if (reason != SkipReason.None) return reason;
        uint64 makerFilled;
        (reason, makerFilled) =
            _checkOrder(m.maker, makerHash, m.makerSignature, mkt.makerFeeBps, m.quantityLots, mkt.minQuantityLots);
        if (reason != SkipReason.None) return reason;
        uint64 takerFilled;
        (reason, takerFilled) =
            _checkOrder(m.taker, takerHash, m.takerSignature, mkt.takerFeeBps, m.quantityLots, mkt.minQuantityLots);
        // Taker reasons are the maker's plus one (see SkipReason).
        if (reason != SkipReason.None) return SkipReason(uint8(reason) + 1);

        Fill memory f = _fill(mkt, m.maker.isBuy, m.maker.maker, m.taker.maker, m.quantityLots, m.maker.priceTicks);
        reason = _checkBalances(f, m.maker.isBuy);
        if (reason != SkipReason.None) return reason;

        _orders[makerHash].filledLots = makerFilled;
        _orders[takerHash].filledLots = takerFilled;
        _execute(f, mkt, marketId);
        _emitFilled(makerHash, takerHash, m.maker, m.taker.maker, m.quantityLots, f);
        return SkipReason.None;
    }

    /// @dev Checks that need both orders: same active market, opposite sides, crossing prices
    ///      (the fill is at the maker's price), a non-zero quantity.
    function _checkPair(Match calldata m, MarketStorage memory mkt) private pure returns (SkipReason) {
        Order calldata maker = m.maker;
        Order calldata taker = m.taker;
        if (taker.marketId != maker.marketId) return SkipReason.MarketMismatch;
        if (!mkt.active) return SkipReason.MarketInactive;
        if (taker.isBuy == maker.isBuy) return SkipReason.SidesNotOpposite;
        if (maker.isBuy ? taker.priceTicks > maker.priceTicks : taker.priceTicks < maker.priceTicks) {
            return SkipReason.PricesNotCrossing;
        }
        if (m.quantityLots == 0) return SkipReason.QuantityZero;
        return SkipReason.None;
    }

    /// @dev Order-level checks with the maker's reason codes; returns the new filled quantity.
    ///      The signature is checked only at the first fill: a recorded fill proves it.
    function _checkOrder(
        Order calldata order,
        bytes32 orderHash,
        bytes calldata signature,
        uint16 feeBps,
        uint64 quantity,
        uint24 minQuantityLots
    ) private view returns (SkipReason, uint64) {
        if (block.timestamp >= order.expiry) return (SkipReason.MakerExpired, 0);
        if (feeBps > order.maxFeeBps) return (SkipReason.MakerFeeAboveMax, 0);
        uint64 total = order.quantityLots;
        if (total < minQuantityLots) return (SkipReason.MakerBelowMinQuantity, 0);
        OrderState memory state = _orders[orderHash];
        if (state.cancelled) return (SkipReason.MakerCancelled, 0);
        uint64 done = state.filledLots;
        // cannot underflow: filledLots only grows up to quantityLots (checked below)
        unchecked {
            if (quantity > total - done) return (SkipReason.MakerOverfill, 0);
        }
        address signer = order.maker;
        if (_isEpochStale(signer, order.marketId, order.epoch)) return (SkipReason.MakerEpochStale, 0);
        if (done == 0 && !_isValidSignature(signer, orderHash, signature)) {
            return (SkipReason.MakerSignatureInvalid, 0);
        }
        // cannot overflow: done + quantity <= total (checked above)
        unchecked {
            return (SkipReason.None, done + quantity);
        }
    }

    /// @dev ECDSA first (no EXTCODESIZE for the common EOA case, high-s rejected by OZ), then
    ///      EIP-1271 if the signer has code.
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0
            && SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }

    /// @dev The exact amounts and fees of a fill; the arithmetic cannot overflow: quantity and
    ///      price are < 2**64, lotSize < 2**96 and tickSize < 2**64, so amounts < 2**192 and
    ///      amount * MAX_FEE_BPS < 2**199.
    function _fill(
        MarketStorage memory mkt,
        bool makerBuys,
        address maker,
        address taker,
        uint64 quantity,
        uint64 price
    ) private pure returns (Fill memory f) {
        f.base = mkt.base;
        f.quote = mkt.quote;
        (f.buyer, f.seller) = makerBuys ? (maker, taker) : (taker, maker);
        (uint256 buyerBps, uint256 sellerBps) =
            makerBuys ? (mkt.makerFeeBps, mkt.takerFeeBps) : (mkt.takerFeeBps, mkt.makerFeeBps);
        unchecked {
            f.baseAmount = uint256(quantity) * mkt.lotSize;
            f.quoteAmount = uint256(quantity) * price * mkt.tickSize;
            f.buyerFee = f.baseAmount * buyerBps / _BPS;
            f.sellerFee = f.quoteAmount * sellerBps / _BPS;
        }
    }

    function _checkBalances(Fill memory f, bool makerBuys) private view returns (SkipReason) {
        if (_balances[f.base][f.seller] < f.baseAmount) {
            return makerBuys ? SkipReason.TakerInsufficientBalance : SkipReason.MakerInsufficientBalance;
        }
        if (_balances[f.quote][f.buyer] < f.quoteAmount) {
            return makerBuys ? SkipReason.MakerInsufficientBalance : SkipReason.TakerInsufficientBalance;
        }
        return SkipReason.None;
    }

    /// @dev Moves the balances of a checked fill and accrues its fees. Debits are read and
    ///      written before credits, so a self-trade (buyer == seller) stays exact.
    function _execute(Fill memory f, MarketStorage memory mkt, uint32 marketId) private {
        mapping(address => uint256) storage baseBalances = _balances[f.base];
        mapping(address => uint256) storage quoteBalances = _balances[f.quote];
        // cannot underflow: _checkBalances; fees <= 1% of the amount they are taken from
        unchecked {
            baseBalances[f.seller] -= f.baseAmount;
            quoteBalances[f.buyer] -= f.quoteAmount;
        }
        baseBalances[f.buyer] += f.baseAmount - f.buyerFee;
        quoteBalances[f.seller] += f.quoteAmount - f.sellerFee;
        if (f.buyerFee != 0 || f.sellerFee != 0) {
            MarketStorage storage stored = _markets[marketId];
            stored.baseFees = SafeCast.toUint112(mkt.baseFees + f.buyerFee);
            stored.quoteFees = SafeCast.toUint112(mkt.quoteFees + f.sellerFee);
        }
    }

    function _emitFilled(
        bytes32 makerHash,
        bytes32 takerHash,
        Order calldata maker,
        address taker,
        uint64 quantity,
        Fill memory f
    ) private {
        (uint256 makerFee, uint256 takerFee) = maker.isBuy ? (f.buyerFee, f.sellerFee) : (f.sellerFee, f.buyerFee);
        emit OrderFilled(
            makerHash,
            takerHash,
            maker.maker,
            taker,
            maker.marketId,
            quantity,
            maker.priceTicks,
            f.baseAmount,
            f.quoteAmount,
            makerFee,
            takerFee
        );
    }

    function _credit(address token, uint256 held, uint256 amount) private {
        if (held > VAULT_CAP) revert ExchangeDepositCapExceeded(token, held, VAULT_CAP);
        // cannot overflow: the sum of balances of a token is bounded by what the contract holds
        unchecked {
            _balances[token][msg.sender] += amount;
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
        uint256 balance = _balances[token][msg.sender];
        amount = request.amount < balance ? request.amount : balance;
        delete _withdrawals[token][msg.sender];
        // cannot underflow: amount <= balance
        unchecked {
            _balances[token][msg.sender] = balance - amount;
        }
        emit Withdrawn(token, msg.sender, amount);
    }

    /// @dev True if `orderEpoch` is below the maker's global epoch or its epoch in `marketId`
    ///      (marketId >= 1: settlement only reaches here for an active, hence existing, market).
    function _isEpochStale(address maker, uint32 marketId, uint32 orderEpoch) private view returns (bool) {
        uint256 word0 = _epochLanes[maker][0];
        uint256 lanes = marketId < 8 ? word0 : _epochLanes[maker][marketId >> 3];
        return orderEpoch < uint32(word0) || orderEpoch < uint32(lanes >> ((marketId & 7) << 5));
    }

    function _readEpoch(address maker, uint32 marketId) private view returns (uint32) {
        return uint32(_epochLanes[maker][marketId >> 3] >> ((marketId & 7) << 5));
    }

    function _writeEpoch(address maker, uint32 marketId, uint32 newEpoch) private {
        uint256 shift = uint256(marketId & 7) << 5;
        uint256 lanes = _epochLanes[maker][marketId >> 3];
        _epochLanes[maker][marketId >> 3] = (lanes & ~(uint256(type(uint32).max) << shift)) | (uint256(newEpoch) << shift);
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
