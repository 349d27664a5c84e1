// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IVestingVault} from "../interfaces/IVestingVault.sol";

/// @title VestingVault
/// @notice Holds vesting tokens and releases them on schedule (TGE unlock, cliff, linear).
contract VestingVault is IVestingVault, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVestingVault
    bytes32 public constant SCHEDULER_ROLE = keccak256("SCHEDULER_ROLE");
    /// @inheritdoc IVestingVault
    bytes32 public constant REVOKER_ROLE = keccak256("REVOKER_ROLE");
    uint16 private constant _BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    uint256 private _nextScheduleId;
    mapping(uint256 scheduleId => mapping(address beneficiary => Schedule schedule)) private _schedules;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants SCHEDULER_ROLE and REVOKER_ROLE).
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVestingVault
    /// @dev The tokens are pulled before the schedule is recorded so that exactly what arrived is
    ///      recorded (fee-on-transfer tokens); the reentrancy guard covers the gap.
    function createSchedule(address beneficiary, address token, uint256 amount, ScheduleTerms calldata terms)
        external
        nonReentrant
        onlyRole(SCHEDULER_ROLE)
        returns (uint256 scheduleId)
    {
        if (beneficiary == address(0)) revert VestingInvalidBeneficiary(beneficiary);
        if (terms.tgeBps > _BPS) revert VestingInvalidTerms(terms.tgeBps);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0 || received > type(uint112).max) revert VestingInvalidAmount(amount, received);

        scheduleId = _nextScheduleId++;
        _schedules[scheduleId][beneficiary] = Schedule({
            token: token,
            start: terms.start,
            cliff: terms.cliff,
            duration: terms.duration,
            // Cannot truncate: checked against uint112 above.
            total: uint112(received),
            released: 0,
            tgeBps: terms.tgeBps,
            revocable: terms.revocable,
            revoked: false
        });
        emit ScheduleCreated(
            scheduleId,
            beneficiary,
            token,
            received,
            terms.start,
            terms.cliff,
            terms.duration,
            terms.tgeBps,
            terms.revocable,
            msg.sender
        );
    }

    /// @inheritdoc IVestingVault
    function claim(uint256 scheduleId) external nonReentrant returns (uint256 amount) {
        return _claim(scheduleId, msg.sender);
    }

    /// @inheritdoc IVestingVault
    function claimFor(uint256 scheduleId, address beneficiary) external nonReentrant returns (uint256 amount) {
        return _claim(scheduleId, beneficiary);
    }

    /// @inheritdoc IVestingVault
    function revoke(uint256 scheduleId, address beneficiary, address returnTo)
        external
        nonReentrant
        onlyRole(REVOKER_ROLE)
        returns (uint256 unvested)
    {
        Schedule storage schedule = _load(scheduleId, beneficiary);
        if (!schedule.revocable || schedule.revoked) revert VestingNotRevocable(scheduleId, beneficiary);
        uint256 vested = _vested(schedule, block.timestamp);
        unchecked {
            // Cannot underflow: vested <= total.
            unvested = schedule.total - vested;
        }
        // Cannot truncate: vested <= total, a uint112.
        schedule.total = uint112(vested);
        schedule.revoked = true;
        emit ScheduleRevoked(scheduleId, beneficiary, vested, unvested, returnTo);
        if (unvested != 0) IERC20(schedule.token).safeTransfer(returnTo, unvested);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVestingVault
    function scheduleOf(uint256 scheduleId, address beneficiary) external view returns (Schedule memory) {
        return _schedules[scheduleId][beneficiary];
    }

    /// @inheritdoc IVestingVault
    function vestedAt(uint256 scheduleId, address beneficiary, uint256 timestamp) external view returns (uint256) {
        return _vested(_load(scheduleId, beneficiary), timestamp);
    }

    /// @inheritdoc IVestingVault
    function releasable(uint256 scheduleId, address beneficiary) external view returns (uint256) {
        Schedule storage schedule = _load(scheduleId, beneficiary);
        return _vested(schedule, block.timestamp) - schedule.released;
    }

    /// @inheritdoc IVestingVault
    function nextScheduleId() external view returns (uint256) {
        return _nextScheduleId;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _load(uint256 scheduleId, address beneficiary) private view returns (Schedule storage schedule) {
        schedule = _schedules[scheduleId][beneficiary];
        if (schedule.token == address(0)) revert VestingUnknownSchedule(scheduleId, beneficiary);
    }

    /// @dev Effects and event before the transfer; `released` is bumped first, so a reentrant
    ///      claim (also blocked by the guard) would find nothing left.
    function _claim(uint256 scheduleId, address beneficiary) private returns (uint256 amount) {
        Schedule storage schedule = _load(scheduleId, beneficiary);
        uint256 released = schedule.released;
        uint256 vested = _vested(schedule, block.timestamp);
        if (vested <= released) revert VestingNothingToClaim(scheduleId, beneficiary);
        unchecked {
            // Cannot underflow: vested > released.
            amount = vested - released;
        }
        // Cannot truncate: vested <= total, a uint112.
        schedule.released = uint112(vested);
        emit TokensClaimed(scheduleId, beneficiary, amount, vested);
        IERC20(schedule.token).safeTransfer(beneficiary, amount);
    }

    function _vested(Schedule storage schedule, uint256 timestamp) private view returns (uint256) {
        uint256 total = schedule.total;
        // A revoked schedule's total was cut to what had vested: all of it is vested.
        if (schedule.revoked) return total;
        uint256 start = schedule.start;
        if (timestamp < start) return 0;
        uint256 tge = total * schedule.tgeBps / _BPS;
        uint256 linearStart = start + schedule.cliff;
        if (timestamp < linearStart) return tge;
        uint256 duration = schedule.duration;
        uint256 elapsed = timestamp - linearStart;
        if (elapsed >= duration) return total;
        // Rounded down: never released ahead of schedule. Cannot overflow: uint112 * uint32.
        return tge + (total - tge) * elapsed / duration;
    }
}
