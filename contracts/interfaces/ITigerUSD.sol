// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title ITigerUSD
/// @notice TigerEx USD (TUSD): a 6-decimal stablecoin minted by the fiat gateway against fiat
///         received and burned on redemption.
/// @dev Minting and burning are restricted to MINTER_ROLE; every transfer, mint and burn stops
///      while paused (PAUSER_ROLE), so an incident freezes supply and balances at once.
interface ITigerUSD is IERC20Metadata {
    /// @notice A mint or burn of zero, or to/from the zero address, was requested.
    error TigerUSDInvalidAmount(uint256 amount);

    /// @notice Emitted when a minter creates TUSD.
    /// @param minter The minter (the fiat gateway's hot key).
    /// @param to The account credited.
    /// @param amount The amount minted, in base units (6 decimals).
    /// @param memo The off-chain reference (e.g. the fiat deposit id), for reconciliation.
    event Minted(address indexed minter, address indexed to, uint256 amount, bytes32 indexed memo);

    /// @notice Emitted when a minter destroys TUSD.
    /// @param minter The minter.
    /// @param from The account debited.
    /// @param amount The amount burned, in base units.
    /// @param memo The off-chain reference (e.g. the fiat withdrawal id).
    event Burned(address indexed minter, address indexed from, uint256 amount, bytes32 indexed memo);

    /// @notice Role allowed to mint and burn.
    function MINTER_ROLE() external view returns (bytes32);

    /// @notice Role allowed to pause and unpause.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Mints `amount` to `to`, tagged with an off-chain `memo`. Only MINTER_ROLE.
    function mint(address to, uint256 amount, bytes32 memo) external;

    /// @notice Burns `amount` from the caller's own balance. Only MINTER_ROLE.
    function burn(uint256 amount, bytes32 memo) external;

    /// @notice Burns `amount` from `from`, spending the caller's allowance. Only MINTER_ROLE.
    function burnFrom(address from, uint256 amount, bytes32 memo) external;

    /// @notice Stops all transfers, mints and burns. Only PAUSER_ROLE.
    function pause() external;

    /// @notice Resumes transfers, mints and burns. Only PAUSER_ROLE.
    function unpause() external;
}
