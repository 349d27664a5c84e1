// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVestingVault
/// @notice Token vesting schedules: an unlock at TGE, a cliff, then a linear release. The
///         launchpad vests every buyer's tokens here; admins add team and advisor schedules,
///         which may be revocable.
///
/// Schedule math, with `t` the current time and `tge = total * tgeBps / 10_000` (rounded down):
///   t <  start                          vested = 0
///   start <= t < start + cliff          vested = tge
///   start + cliff <= t                  vested = tge + (total - tge) * min(t - start - cliff, duration) / duration
///                                       (rounded down; duration 0 vests the rest at the cliff's end)
/// so the schedule is fully vested at `start + cliff + duration`. `vested` never decreases and
/// never exceeds `total`; `released` only grows and never exceeds `vested`.
///
/// Revocation (revocable schedules only, REVOKER_ROLE): what is vested at that moment stays
/// the beneficiary's (still claimable, `total` becomes that amount) and the unvested rest is sent
/// to the address the revoker names.
///
/// @dev A schedule is stored under (scheduleId, beneficiary) in two slots, so `claim` reads two
///      storage slots and writes one: the beneficiary is the caller (or `claimFor`'s argument)
///      and is not stored. Ids are global and each belongs to exactly one beneficiary.
///      Amounts are uint112 (5.1e33 base units).
interface IVestingVault {
    /// @notice A schedule's timing and rule, as given to `createSchedule`.
    /// @param start The TGE (unix seconds): `tgeBps` of the total unlocks then.
    /// @param cliff Seconds after `start` before the linear release begins.
    /// @param duration Seconds of linear release after the cliff (0: the rest unlocks at the cliff's end).
    /// @param tgeBps Share unlocked at `start`, in basis points (<= 10_000).
    /// @param revocable Whether REVOKER_ROLE may revoke the unvested part.
    struct ScheduleTerms {
        uint32 start;
        uint32 cliff;
        uint32 duration;
        uint16 tgeBps;
        bool revocable;
    }

    /// @notice A stored schedule.
    struct Schedule {
        address token;
        uint32 start;
        uint32 cliff;
        uint32 duration;
        uint112 total;
        uint112 released;
        uint16 tgeBps;
        bool revocable;
        bool revoked;
    }

    /// @notice The beneficiary is the zero address.
    error VestingInvalidBeneficiary(address beneficiary);
    /// @notice The terms are out of range (tgeBps above 10_000).
    error VestingInvalidTerms(uint16 tgeBps);
    /// @notice Nothing (or more than uint112 holds) arrived for the schedule.
    error VestingInvalidAmount(uint256 requested, uint256 received);
    /// @notice No schedule `scheduleId` belongs to `beneficiary`.
    error VestingUnknownSchedule(uint256 scheduleId, address beneficiary);
    /// @notice Nothing is releasable now (all vested tokens were already claimed).
    error VestingNothingToClaim(uint256 scheduleId, address beneficiary);
    /// @notice The schedule is not revocable, or was already revoked.
    error VestingNotRevocable(uint256 scheduleId, address beneficiary);

    /// @notice Emitted when a schedule is created and funded with `total` (what arrived).
    event ScheduleCreated(
        uint256 indexed scheduleId,
        address indexed beneficiary,
        address indexed token,
        uint256 total,
        uint32 start,
        uint32 cliff,
        uint32 duration,
        uint16 tgeBps,
        bool revocable,
        address creator
    );
    /// @notice Emitted when `amount` is released to `beneficiary`; `released` is the new running total.
    event TokensClaimed(uint256 indexed scheduleId, address indexed beneficiary, uint256 amount, uint256 released);
    /// @notice Emitted on revocation: `vestedTotal` stays claimable, `unvested` went to `returnedTo`.
    event ScheduleRevoked(
        uint256 indexed scheduleId,
        address indexed beneficiary,
        uint256 vestedTotal,
        uint256 unvested,
        address returnedTo
    );

    /// @notice Role allowed to create schedules (the launchpad; a team-allocation admin).
    function SCHEDULER_ROLE() external view returns (bytes32);
    /// @notice Role allowed to revoke revocable schedules.
    function REVOKER_ROLE() external view returns (bytes32);

    /// @notice Creates a schedule for `beneficiary`, funded by pulling `amount` of `token` from
    ///         the caller; the schedule's total is what arrived (fee-on-transfer tokens). Only
    ///         SCHEDULER_ROLE.
    /// @return scheduleId The new schedule's id.
    function createSchedule(address beneficiary, address token, uint256 amount, ScheduleTerms calldata terms)
        external
        returns (uint256 scheduleId);

    /// @notice Releases to the caller what has vested and not been claimed.
    /// @return amount What was released.
    function claim(uint256 scheduleId) external returns (uint256 amount);

    /// @notice Releases to `beneficiary` what has vested and not been claimed; anyone may call.
    /// @return amount What was released.
    function claimFor(uint256 scheduleId, address beneficiary) external returns (uint256 amount);

    /// @notice Ends a revocable schedule: the vested part stays claimable, the unvested part is
    ///         sent to `returnTo`. Only REVOKER_ROLE.
    /// @return unvested What was sent to `returnTo`.
    function revoke(uint256 scheduleId, address beneficiary, address returnTo) external returns (uint256 unvested);

    /// @notice The stored schedule (`total` is 0 when none).
    function scheduleOf(uint256 scheduleId, address beneficiary) external view returns (Schedule memory);

    /// @notice What has vested by `timestamp`.
    function vestedAt(uint256 scheduleId, address beneficiary, uint256 timestamp) external view returns (uint256);

    /// @notice What `claim` would release now.
    function releasable(uint256 scheduleId, address beneficiary) external view returns (uint256);

    /// @notice The id the next schedule will get.
    function nextScheduleId() external view returns (uint256);
}
