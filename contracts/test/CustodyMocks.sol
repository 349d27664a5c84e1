// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

// Hostile and awkward counterparties for the escrow and custody tests. Test-only: never deployed
// by scripts/deploy.py.

/// @notice Takes a 1% fee on every transfer (the recipient gets 99%).
contract TaxedToken is ERC20 {
    constructor() ERC20("Taxed", "TAX") {
        _mint(msg.sender, 1e30);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0xdead), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @notice USDC-like blocklist: transfers to or from a blocked account revert.
contract BlocklistToken is ERC20 {
    mapping(address => bool) public blocked;

    constructor() ERC20("Blocklist", "BLK") {
        _mint(msg.sender, 1e30);
    }

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[from] && !blocked[to], "blocked");
        super._update(from, to, value);
    }
}

/// @notice Calls `hookTarget` with `hookData` on every transfer and records the outcome, to show
///         that re-entering the escrow from a token callback is refused.
contract HookToken is ERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public hookCalled;
    bool public hookSucceeded;
    bytes public hookResult;

    constructor() ERC20("Hook", "HOOK") {
        _mint(msg.sender, 1e30);
    }

    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = hookTarget;
        if (target != address(0) && from != address(0) && to != address(0)) {
            hookTarget = address(0); // once
            (hookSucceeded, hookResult) = target.call(hookData);
            hookCalled = true;
        }
    }
}

/// @notice A contract account that forwards calls and can refuse ETH, to act as a party whose
///         payout reverts.
contract EtherRejecter {
    bool public rejectEther = true;

    function setRejectEther(bool value) external {
        rejectEther = value;
    }

    function forward(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    receive() external payable {
        require(!rejectEther, "no ether");
    }
}
