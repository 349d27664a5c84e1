// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title IWrappedEther
/// @notice WETH9-style wrapped ether: 1 WETH per wei deposited, redeemable at any time.
interface IWrappedEther is IERC20Metadata {
    /// @notice `account` holds `balance` but `needed` was requested.
    error WrappedEtherInsufficientBalance(address account, uint256 balance, uint256 needed);

    /// @notice `spender` may spend `allowance` of `owner` but `needed` was requested.
    error WrappedEtherInsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);

    /// @notice Sending ether to `to` failed.
    error WrappedEtherTransferFailed(address to, uint256 amount);

    /// @notice Emitted when `account` wraps `amount` wei.
    event Deposit(address indexed account, uint256 amount);

    /// @notice Emitted when `account` unwraps `amount` wei.
    event Withdrawal(address indexed account, uint256 amount);

    /// @notice Wraps msg.value (also what a plain ether transfer does).
    function deposit() external payable;

    /// @notice Burns `amount` WETH of the caller and sends it `amount` wei.
    function withdraw(uint256 amount) external;
}
