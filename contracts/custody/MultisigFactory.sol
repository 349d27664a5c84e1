// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IMultisigFactory} from "../interfaces/IMultisigFactory.sol";
import {IMultisigWallet} from "../interfaces/IMultisigWallet.sol";
import {MultisigWallet} from "./MultisigWallet.sol";

/// @title MultisigFactory
/// @notice Cheap, predictable custody wallets (see IMultisigFactory).
contract MultisigFactory is IMultisigFactory {
    /// @inheritdoc IMultisigFactory
    address public immutable implementation;

    constructor() {
        implementation = address(new MultisigWallet());
    }

    /// @inheritdoc IMultisigFactory
    function createWallet(address[] calldata owners, uint256 threshold, uint256 saltNonce)
        external
        returns (address wallet)
    {
        wallet = Clones.cloneDeterministic(implementation, _salt(owners, threshold, saltNonce));
        IMultisigWallet(wallet).initialize(owners, threshold);
        emit WalletCreated(wallet, owners, threshold, saltNonce);
    }

    /// @inheritdoc IMultisigFactory
    function predictWallet(address[] calldata owners, uint256 threshold, uint256 saltNonce)
        external
        view
        returns (address)
    {
        return Clones.predictDeterministicAddress(implementation, _salt(owners, threshold, saltNonce));
    }

    function _salt(address[] calldata owners, uint256 threshold, uint256 saltNonce) private pure returns (bytes32) {
        return keccak256(abi.encode(owners, threshold, saltNonce));
    }
}
