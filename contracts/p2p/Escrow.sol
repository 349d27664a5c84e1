// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";
import {IKYCRegistry} from "../interfaces/IKYCRegistry.sol";

/// @title Escrow
/// @notice P2P trade escrow with disputes, arbitration and gasless instructions.
contract Escrow is IEscrow, AccessControl, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @inheritdoc IEscrow
    bytes32 public constant FEE_MANAGER_ROLE = keccak256("FEE_MANAGER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IEscrow
    uint16 public constant MAX_FEE_BPS = 200;
    uint16 private constant _BPS = 10_000;
    uint64 public constant MIN_PAYMENT_WINDOW = 5 minutes;
    uint64 public constant MAX_PAYMENT_WINDOW = 7 days;

    uint8 public constant ACTION_MARK_PAID = 1;
    uint8 public constant ACTION_RELEASE = 2;
    uint8 public constant ACTION_CANCEL = 3;

    bytes32 private constant _INSTRUCTION_TYPEHASH =
        keccak256("Instruction(uint256 escrowId,uint8 action,uint64 deadline)");
    bytes32 private constant _SETTLEMENT_TYPEHASH =
        keccak256("Settlement(uint256 escrowId,uint16 buyerBps,uint64 deadline)");

    /// @inheritdoc IEscrow
    uint64 public immutable DISPUTE_DELAY;
    /// @inheritdoc IEscrow
    uint64 public immutable ARBITRATION_PERIOD;
    IKYCRegistry private immutable _kyc;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    struct State {
        Status status;
        uint64 paidAt;
        uint64 disputedAt;
    }

    uint64 private _nextEscrowId;
    uint16 private _feeBps;
    mapping(uint256 escrowId => bytes32 paramsHash) private _paramsHashes;
    mapping(uint256 escrowId => State state) private _states;
    mapping(bytes32 digest => bool used) private _usedDigests;
    mapping(address token => mapping(address account => uint256 amount)) private _owed;
    mapping(address token => uint256 amount) private _fees;

    /// @param admin Receives DEFAULT_ADMIN_ROLE, FEE_MANAGER_ROLE and PAUSER_ROLE.
    /// @param kyc The KYC registry escrows with a `kycLevel` are checked against (may be zero:
    ///        then only escrows without a KYC requirement can be opened).
    /// @param feeBps_ Initial platform fee on the buyer's share.
    /// @param disputeDelay How long after "paid" the seller has before a dispute may be opened.
    /// @param arbitrationPeriod How long the arbiter has to rule before the fallback applies.
    constructor(address admin, IKYCRegistry kyc, uint16 feeBps_, uint64 disputeDelay, uint64 arbitrationPeriod)
        EIP712("TigerEx Escrow", "1")
    {
        if (feeBps_ > MAX_FEE_BPS) revert EscrowFeeTooHigh(feeBps_, MAX_FEE_BPS);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(FEE_MANAGER_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _kyc = kyc;
        _feeBps = feeBps_;
        DISPUTE_DELAY = disputeDelay;
        ARBITRATION_PERIOD = arbitrationPeriod;
    }

    /*//////////////////////////////////////////////////////////////
                              OPEN AND FLOW
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    /// @dev The token is pulled before the escrow is recorded so that exactly what arrived is
    ///      recorded (fee-on-transfer tokens); the reentrancy guard covers the gap.
    function open(
        address buyer,
        address token,
        uint256 amount,
        bytes32 termsHash,
        uint64 paymentWindow,
        uint8 kycLevel,
        address arbiter
    ) external payable nonReentrant whenNotPaused returns (uint256 escrowId, EscrowParams memory params) {
        if (buyer == address(0) || buyer == msg.sender) revert EscrowInvalidBuyer(buyer);
        if (paymentWindow < MIN_PAYMENT_WINDOW || paymentWindow > MAX_PAYMENT_WINDOW) {
            revert EscrowInvalidWindow(paymentWindow);
        }
        if (kycLevel != 0) {
            if (address(_kyc) == address(0) || !_kyc.hasLevel(msg.sender, kycLevel)) {
                revert EscrowKYCRequired(msg.sender, kycLevel);
            }
            if (!_kyc.hasLevel(buyer, kycLevel)) revert EscrowKYCRequired(buyer, kycLevel);
        }

        uint256 received;
        if (token == address(0)) {
            if (amount == 0 || msg.value != amount) revert EscrowInvalidAmount(amount, msg.value);
            received = amount;
        } else {
            if (amount == 0 || msg.value != 0) revert EscrowInvalidAmount(amount, msg.value);
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
            received = IERC20(token).balanceOf(address(this)) - before;
            if (received == 0) revert EscrowInvalidAmount(amount, 0);
        }

        escrowId = _nextEscrowId++;
        params = EscrowParams({
            seller: msg.sender,
            buyer: buyer,
            token: token,
            amount: received,
            termsHash: termsHash,
            paymentDeadline: uint64(block.timestamp) + paymentWindow,
            feeBps: _feeBps,
            kycLevel: kycLevel,
            arbiter: arbiter
        });
        // Status Open is the zero value: the state slot is not written here.
        _paramsHashes[escrowId] = keccak256(abi.encode(params));
        emit EscrowOpened(
            escrowId,
            msg.sender,
            buyer,
            token,
            received,
            termsHash,
            params.paymentDeadline,
            params.feeBps,
            kycLevel,
            arbiter
        );
    }

    /// @inheritdoc IEscrow
    function markPaid(uint256 escrowId, EscrowParams calldata params) external {
        _markPaid(escrowId, params, msg.sender);
    }

    /// @inheritdoc IEscrow
    function release(uint256 escrowId, EscrowParams calldata params) external nonReentrant {
        _release(escrowId, params, msg.sender);
    }

    /// @inheritdoc IEscrow
    function cancel(uint256 escrowId, EscrowParams calldata params) external nonReentrant {
        _cancel(escrowId, params, msg.sender);
    }

    /// @inheritdoc IEscrow
    function openDispute(uint256 escrowId, EscrowParams calldata params) external {
        State storage state = _load(escrowId, params);
        if (msg.sender != params.buyer && msg.sender != params.seller) revert EscrowNotParty(escrowId, msg.sender);
        if (state.status != Status.Paid) revert EscrowWrongStatus(escrowId, state.status);
        uint256 availableAt = uint256(state.paidAt) + DISPUTE_DELAY;
        if (block.timestamp < availableAt) revert EscrowTooEarly(escrowId, availableAt);
        state.status = Status.Disputed;
        state.disputedAt = uint64(block.timestamp);
        emit EscrowDisputed(escrowId, msg.sender, block.timestamp + ARBITRATION_PERIOD);
    }

    /// @inheritdoc IEscrow
    function resolve(uint256 escrowId, EscrowParams calldata params, uint16 buyerBps) external nonReentrant {
        State storage state = _load(escrowId, params);
        bool isArbiter =
            params.arbiter == address(0) ? hasRole(ARBITER_ROLE, msg.sender) : msg.sender == params.arbiter;
        if (!isArbiter) revert EscrowNotParty(escrowId, msg.sender);
        if (state.status != Status.Disputed) revert EscrowWrongStatus(escrowId, state.status);
        uint256 deadline = uint256(state.disputedAt) + ARBITRATION_PERIOD;
        if (block.timestamp > deadline) revert EscrowTooLate(escrowId, deadline);
        _close(escrowId, params, state, Status.Resolved, buyerBps);
    }

    /// @inheritdoc IEscrow
    function claimFallback(uint256 escrowId, EscrowParams calldata params) external nonReentrant {
        State storage state = _load(escrowId, params);
        if (state.status != Status.Disputed) revert EscrowWrongStatus(escrowId, state.status);
        uint256 availableAt = uint256(state.disputedAt) + ARBITRATION_PERIOD + 1;
        if (block.timestamp < availableAt) revert EscrowTooEarly(escrowId, availableAt);
        _close(escrowId, params, state, Status.Refunded, 0);
    }

    /*//////////////////////////////////////////////////////////////
                          SIGNED (GASLESS) PATHS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function settle(
        EscrowParams calldata params,
        Settlement calldata settlement,
        bytes calldata sellerSignature,
        bytes calldata buyerSignature
    ) external nonReentrant {
        uint256 escrowId = settlement.escrowId;
        State storage state = _load(escrowId, params);
        if (block.timestamp > settlement.deadline) revert EscrowTooLate(escrowId, settlement.deadline);
        Status status = state.status;
        if (status != Status.Open && status != Status.Paid && status != Status.Disputed) {
            revert EscrowWrongStatus(escrowId, status);
        }
        bytes32 digest = _hashSettlement(settlement);
        _consume(digest);
        if (!SignatureChecker.isValidSignatureNow(params.seller, digest, sellerSignature)) {
            revert EscrowInvalidSignature(escrowId, params.seller);
        }
        if (!SignatureChecker.isValidSignatureNow(params.buyer, digest, buyerSignature)) {
            revert EscrowInvalidSignature(escrowId, params.buyer);
        }
        _close(escrowId, params, state, Status.Resolved, settlement.buyerBps);
    }

    /// @inheritdoc IEscrow
    function execute(EscrowParams calldata params, Instruction calldata instruction, bytes calldata signature)
        external
        nonReentrant
        whenNotPaused
    {
        uint256 escrowId = instruction.escrowId;
        if (block.timestamp > instruction.deadline) revert EscrowTooLate(escrowId, instruction.deadline);
        bytes32 digest = _hashInstruction(instruction);
        _consume(digest);
        uint8 action = instruction.action;
        if (action == ACTION_MARK_PAID) {
            _requireSigner(escrowId, params.buyer, digest, signature);
            _markPaid(escrowId, params, params.buyer);
        } else if (action == ACTION_RELEASE) {
            _requireSigner(escrowId, params.seller, digest, signature);
            _release(escrowId, params, params.seller);
        } else if (action == ACTION_CANCEL) {
            // Either party may cancel (under different conditions, checked by _cancel).
            address signer = SignatureChecker.isValidSignatureNow(params.buyer, digest, signature)
                ? params.buyer
                : params.seller;
            _requireSigner(escrowId, signer, digest, signature);
            _cancel(escrowId, params, signer);
        } else {
            revert EscrowUnknownAction(action);
        }
    }

    /*//////////////////////////////////////////////////////////////
                           WITHDRAWALS AND FEES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function withdrawOwed(address token) external nonReentrant {
        uint256 amount = _owed[token][msg.sender];
        if (amount == 0) revert EscrowNothingOwed(token, msg.sender);
        _owed[token][msg.sender] = 0;
        emit OwedWithdrawn(token, msg.sender, amount);
        _transferOut(token, msg.sender, amount);
    }

    /// @inheritdoc IEscrow
    function withdrawFees(address token, address to) external nonReentrant onlyRole(FEE_MANAGER_ROLE) {
        uint256 amount = _fees[token];
        if (amount == 0) revert EscrowNothingOwed(token, address(this));
        _fees[token] = 0;
        emit FeesWithdrawn(token, to, amount);
        _transferOut(token, to, amount);
    }

    /// @inheritdoc IEscrow
    /// @dev Applies to escrows opened afterwards only: each escrow keeps the fee it opened with.
    function setFeeBps(uint16 feeBps_) external onlyRole(FEE_MANAGER_ROLE) {
        if (feeBps_ > MAX_FEE_BPS) revert EscrowFeeTooHigh(feeBps_, MAX_FEE_BPS);
        _feeBps = feeBps_;
        emit FeeChanged(feeBps_);
    }

    /// @notice Stops new escrows and gasless instructions. Open escrows can still be completed,
    ///         cancelled, disputed and resolved by their parties directly: a pause never traps funds.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IEscrow
    function statusOf(uint256 escrowId) external view returns (Status status, uint64 paidAt, uint64 disputedAt) {
        State storage state = _states[escrowId];
        return (state.status, state.paidAt, state.disputedAt);
    }

    /// @inheritdoc IEscrow
    function paramsHashOf(uint256 escrowId) external view returns (bytes32) {
        return _paramsHashes[escrowId];
    }

    /// @inheritdoc IEscrow
    function owed(address token, address account) external view returns (uint256) {
        return _owed[token][account];
    }

    /// @inheritdoc IEscrow
    function feesAccrued(address token) external view returns (uint256) {
        return _fees[token];
    }

    /// @inheritdoc IEscrow
    function feeBps() external view returns (uint16) {
        return _feeBps;
    }

    /// @inheritdoc IEscrow
    function nextEscrowId() external view returns (uint256) {
        return _nextEscrowId;
    }

    /// @inheritdoc IEscrow
    function hashInstruction(Instruction calldata instruction) external view returns (bytes32) {
        return _hashInstruction(instruction);
    }

    /// @inheritdoc IEscrow
    function hashSettlement(Settlement calldata settlement) external view returns (bytes32) {
        return _hashSettlement(settlement);
    }

    function kycRegistry() external view returns (IKYCRegistry) {
        return _kyc;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _load(uint256 escrowId, EscrowParams calldata params) private view returns (State storage) {
        bytes32 stored = _paramsHashes[escrowId];
        if (stored == bytes32(0) || stored != keccak256(abi.encode(params))) revert EscrowInvalidParams(escrowId);
        return _states[escrowId];
    }

    function _markPaid(uint256 escrowId, EscrowParams calldata params, address caller) private {
        State storage state = _load(escrowId, params);
        if (caller != params.buyer) revert EscrowNotParty(escrowId, caller);
        if (state.status != Status.Open) revert EscrowWrongStatus(escrowId, state.status);
        if (block.timestamp > params.paymentDeadline) revert EscrowTooLate(escrowId, params.paymentDeadline);
        state.status = Status.Paid;
        state.paidAt = uint64(block.timestamp);
        emit EscrowPaid(escrowId, block.timestamp + DISPUTE_DELAY);
    }

    function _release(uint256 escrowId, EscrowParams calldata params, address caller) private {
        State storage state = _load(escrowId, params);
        if (caller != params.seller) revert EscrowNotParty(escrowId, caller);
        Status status = state.status;
        if (status != Status.Open && status != Status.Paid && status != Status.Disputed) {
            revert EscrowWrongStatus(escrowId, status);
        }
        _close(escrowId, params, state, Status.Released, _BPS);
    }

    function _cancel(uint256 escrowId, EscrowParams calldata params, address caller) private {
        State storage state = _load(escrowId, params);
        if (state.status != Status.Open) revert EscrowWrongStatus(escrowId, state.status);
        if (caller == params.seller) {
            // The seller may only take the funds back once the buyer's payment window is over.
            if (block.timestamp <= params.paymentDeadline) {
                revert EscrowTooEarly(escrowId, uint256(params.paymentDeadline) + 1);
            }
        } else if (caller != params.buyer) {
            revert EscrowNotParty(escrowId, caller);
        }
        _close(escrowId, params, state, Status.Refunded, 0);
    }

    /// @dev Effects, event, then the transfers: the status is terminal before any token moves.
    function _close(
        uint256 escrowId,
        EscrowParams calldata params,
        State storage state,
        Status outcome,
        uint256 buyerBps
    ) private {
        if (buyerBps > _BPS) revert EscrowInvalidBps(buyerBps);
        uint256 amount = params.amount;
        uint256 buyerGross = amount * buyerBps / _BPS;
        uint256 fee = buyerGross * params.feeBps / _BPS;
        uint256 buyerNet;
        uint256 sellerAmount;
        unchecked {
            // Cannot underflow: fee <= buyerGross <= amount.
            buyerNet = buyerGross - fee;
            sellerAmount = amount - buyerGross;
        }
        state.status = outcome;
        if (fee != 0) _fees[params.token] += fee;
        emit EscrowClosed(escrowId, outcome, buyerNet, sellerAmount, fee);
        _pay(params.token, params.buyer, buyerNet);
        _pay(params.token, params.seller, sellerAmount);
    }

    /// @dev Push; if the push fails, credit `owed` so the other party's payout still goes through.
    function _pay(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (token == address(0)) {
            assembly ("memory-safe") {
                // No return data is copied: a recipient cannot return-bomb the payer.
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) {
            _owed[token][to] += amount;
            emit PayoutDeferred(token, to, amount);
        }
    }

    function _transferOut(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EscrowTransferFailed(token, to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _consume(bytes32 digest) private {
        if (_usedDigests[digest]) revert EscrowInstructionUsed(digest);
        _usedDigests[digest] = true;
    }

    function _requireSigner(uint256 escrowId, address signer, bytes32 digest, bytes calldata signature)
        private
        view
    {
        // SignatureChecker: ECDSA with OZ's malleability check for EOAs, EIP-1271 for contracts.
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert EscrowInvalidSignature(escrowId, signer);
        }
    }

    function _hashInstruction(Instruction calldata i) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_INSTRUCTION_TYPEHASH, i.escrowId, i.action, i.deadline)));
    }

    function _hashSettlement(Settlement calldata s) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_SETTLEMENT_TYPEHASH, s.escrowId, s.buyerBps, s.deadline)));
    }
}
