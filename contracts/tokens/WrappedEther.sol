// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IWrappedEther} from "../interfaces/IWrappedEther.sol";

/// @title WrappedEther (WETH)
/// @notice WETH9 semantics in Solidity 0.8: totalSupply is the ether held, an infinite
///         allowance is never decreased, a plain ether transfer wraps. For local chains and
///         networks without a canonical WETH; elsewhere the exchange is deployed with the
///         canonical WETH address.
contract WrappedEther is IWrappedEther {
    mapping(address account => uint256 balance) private _balances;
    mapping(address owner => mapping(address spender => uint256 allowance)) private _allowances;

    receive() external payable {
        _deposit();
    }

    /// @inheritdoc IWrappedEther
    function deposit() external payable {
        _deposit();
    }

    /// @inheritdoc IWrappedEther
    function withdraw(uint256 amount) external {
        uint256 balance = _balances[msg.sender];
        if (balance < amount) revert WrappedEtherInsufficientBalance(msg.sender, balance, amount);
        // cannot underflow: checked above
        unchecked {
            _balances[msg.sender] = balance - amount;
        }
        emit Withdrawal(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WrappedEtherTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc IERC20Metadata
    function name() external pure returns (string memory) {
        return "Wrapped Ether";
    }

    /// @inheritdoc IERC20Metadata
    function symbol() external pure returns (string memory) {
        return "WETH";
    }

    /// @inheritdoc IERC20Metadata
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return address(this).balance;
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 amount) external returns (bool) {
        _allowances[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (from != msg.sender) {
            uint256 allowed = _allowances[from][msg.sender];
            if (allowed != type(uint256).max) {
                if (allowed < amount) {
                    revert WrappedEtherInsufficientAllowance(from, msg.sender, allowed, amount);
                }
                // cannot underflow: checked above
                unchecked {
                    _allowances[from][msg.sender] = allowed - amount;
                }
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    function _deposit() private {
        // cannot overflow: bounded by the ether supply
        unchecked {
            _balances[msg.sender] += msg.value;
        }
        emit Deposit(msg.sender, msg.value);
    }

    function _transfer(address from, address to, uint256 amount) private {
        uint256 balance = _balances[from];
        if (balance < amount) revert WrappedEtherInsufficientBalance(from, balance, amount);
        // cannot overflow or underflow: checked above, and balances sum to the ether held
        unchecked {
            _balances[from] = balance - amount;
            _balances[to] += amount;
        }
        emit Transfer(from, to, amount);
    }
}
