// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IBridgedToken} from "../interfaces/IBridgedToken.sol";

/// @title BridgedToken
/// @notice A token native to another chain, as seen on this one (see IBridgedToken). Its supply
///         is exactly what the Bridge minted for claimed lock messages minus what holders burned
///         to bridge back.
contract BridgedToken is IBridgedToken, ERC20 {
    address private immutable _bridge;
    uint256 private immutable _originChainId;
    address private immutable _originToken;
    uint8 private immutable _decimals;

    /// @dev Deployed by the Bridge, which becomes the only minter and burner.
    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 originChainId_, address originToken_)
        ERC20(name_, symbol_)
    {
        _bridge = msg.sender;
        _originChainId = originChainId_;
        _originToken = originToken_;
        _decimals = decimals_;
    }

    modifier onlyBridge() {
        if (msg.sender != _bridge) revert BridgedTokenOnlyBridge(msg.sender);
        _;
    }

    /// @inheritdoc IBridgedToken
    function mint(address to, uint256 amount) external onlyBridge {
        _mint(to, amount);
    }

    /// @inheritdoc IBridgedToken
    function burn(address from, uint256 amount) external onlyBridge {
        _burn(from, amount);
    }

    /// @inheritdoc IBridgedToken
    function bridge() external view returns (address) {
        return _bridge;
    }

    /// @inheritdoc IBridgedToken
    function originChainId() external view returns (uint256) {
        return _originChainId;
    }

    /// @inheritdoc IBridgedToken
    function originToken() external view returns (address) {
        return _originToken;
    }

    /// @inheritdoc ERC20
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }
}
