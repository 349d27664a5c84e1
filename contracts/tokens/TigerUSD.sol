// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ITigerUSD} from "../interfaces/ITigerUSD.sol";

/// @title TigerUSD (TUSD)
/// @notice The TigerEx USD stablecoin: 6 decimals, minted and burned by the fiat gateway.
/// @dev EIP-2612 permit lets holders approve the exchange vault without a separate transaction.
contract TigerUSD is ITigerUSD, ERC20, ERC20Permit, AccessControl, Pausable {
    /// @inheritdoc ITigerUSD
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @inheritdoc ITigerUSD
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants and revokes the other roles) and
    ///        PAUSER_ROLE. Minters are granted separately, to the gateway's key.
    constructor(address admin) ERC20("TigerEx USD", "TUSD") ERC20Permit("TigerEx USD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override(ERC20, IERC20Metadata) returns (uint8) {
        return 6;
    }

    /// @inheritdoc ITigerUSD
    function mint(address to, uint256 amount, bytes32 memo) external onlyRole(MINTER_ROLE) {
        if (amount == 0) revert TigerUSDInvalidAmount(amount);
        _mint(to, amount);
        emit Minted(msg.sender, to, amount, memo);
    }

    /// @inheritdoc ITigerUSD
    function burn(uint256 amount, bytes32 memo) external onlyRole(MINTER_ROLE) {
        if (amount == 0) revert TigerUSDInvalidAmount(amount);
        _burn(msg.sender, amount);
        emit Burned(msg.sender, msg.sender, amount, memo);
    }

    /// @inheritdoc ITigerUSD
    function burnFrom(address from, uint256 amount, bytes32 memo) external onlyRole(MINTER_ROLE) {
        if (amount == 0) revert TigerUSDInvalidAmount(amount);
        _spendAllowance(from, msg.sender, amount);
        _burn(from, amount);
        emit Burned(msg.sender, from, amount, memo);
    }

    /// @inheritdoc ITigerUSD
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ITigerUSD
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @dev Every balance change (transfer, mint, burn) passes here, so one check pauses all.
    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        super._update(from, to, value);
    }
}
