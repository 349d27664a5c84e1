// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title ITestToken
/// @notice A mintable ERC-20 with configurable decimals, for local markets and tests only.
/// @dev Never deploy one as a real asset: its owner can mint without limit.
interface ITestToken is IERC20Metadata {
    /// @notice The requested decimals exceed what any market supports.
    /// @param decimals The rejected value.
    /// @param maxDecimals The largest accepted value.
    error TestTokenDecimalsTooLarge(uint8 decimals, uint8 maxDecimals);

    /// @notice Emitted when the owner mints tokens.
    /// @param to The account credited.
    /// @param amount The amount minted, in base units.
    event Minted(address indexed to, uint256 amount);

    /// @notice Mints `amount` base units to `to`. Only the owner.
    function mint(address to, uint256 amount) external;
}
