// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ITestToken} from "../interfaces/ITestToken.sol";

/// @title TestToken
/// @notice Mintable ERC-20 with configurable decimals (e.g. 18 like WETH, 6 like USDC) for local
///         markets and tests.
contract TestToken is ITestToken, ERC20, Ownable {
    /// @dev 10**36 still leaves 10**41 whole tokens of headroom in a uint256.
    uint8 public constant MAX_DECIMALS = 36;

    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address owner_)
        ERC20(name_, symbol_)
        Ownable(owner_)
    {
        if (decimals_ > MAX_DECIMALS) revert TestTokenDecimalsTooLarge(decimals_, MAX_DECIMALS);
        _decimals = decimals_;
    }

    /// @inheritdoc ERC20
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc ITestToken
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
        emit Minted(to, amount);
    }
}
