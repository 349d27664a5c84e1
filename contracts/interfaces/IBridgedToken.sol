// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title IBridgedToken
/// @notice The representation, on this chain, of a token native to another chain. Deployed by the
///         Bridge (CREATE2, salt = origin chain id and origin token), one per (origin chain,
///         origin token); only that Bridge mints and burns it.
interface IBridgedToken is IERC20Metadata {
    error BridgedTokenOnlyBridge(address caller);

    /// @notice The Bridge that deployed this token and alone mints and burns it.
    function bridge() external view returns (address);

    /// @notice Chain id of the chain where the original token lives (and is locked).
    function originChainId() external view returns (uint256);

    /// @notice Address of the original token on `originChainId`.
    function originToken() external view returns (address);

    /// @notice Bridge only: mints `amount` to `to` for a claimed lock message.
    function mint(address to, uint256 amount) external;

    /// @notice Bridge only: burns `amount` of `from`'s balance when `from` bridges back (the
    ///         holder called the bridge, so no allowance is needed).
    function burn(address from, uint256 amount) external;
}
