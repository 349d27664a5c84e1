// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMultisigFactory
/// @notice Deploys MultisigWallet clones (EIP-1167) at CREATE2 addresses that commit to the
///         initial owners and threshold, so a wallet's address can be funded before it exists and
///         nobody can deploy a different configuration there first.
interface IMultisigFactory {
    event WalletCreated(address indexed wallet, address[] owners, uint256 threshold, uint256 saltNonce);

    /// @notice The implementation every wallet delegates to (itself never initialisable).
    function implementation() external view returns (address);

    /// @notice Deploys and initialises a wallet in one transaction (no front-running of `initialize`).
    function createWallet(address[] calldata owners, uint256 threshold, uint256 saltNonce)
        external
        returns (address wallet);

    /// @notice The address `createWallet` deploys to for these arguments.
    function predictWallet(address[] calldata owners, uint256 threshold, uint256 saltNonce)
        external
        view
        returns (address);
}
