// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Hostile and unusual tokens and wallets for the exchange tests. Never deployed outside tests.

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice Burns `feeBps` of every transfer: the receiver gets less than was sent.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice USDT-style: transfer, transferFrom and approve return nothing.
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint8 public constant decimals = 6;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "balance");
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external {
        require(balanceOf[from] >= amount, "balance");
        require(allowance[from][msg.sender] >= amount, "allowance");
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @notice Calls back into `target` with `payload` during a transfer, once armed; records
///         whether that call succeeded and what it returned.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentered;
    bytes public returned;

    constructor() ERC20("Reentrant", "REE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = target;
        if (t != address(0) && from != address(0)) {
            target = address(0);
            attempted = true;
            (bool ok, bytes memory ret) = t.call(payload);
            reentered = ok;
            returned = ret;
        }
    }
}

/// @notice An EIP-1271 wallet with one owner key; `setRejectAll` makes it refuse everything.
///         It can also act on the exchange (deposit, cancel) through `execute`.
contract MockERC1271Wallet is IERC1271 {
    address public owner;
    bool public rejectAll;

    constructor(address owner_) {
        owner = owner_;
    }

    function setRejectAll(bool value) external {
        rejectAll = value;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "owner");
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (rejectAll) return 0xffffffff;
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}

/// @notice An EIP-1271 signer that misbehaves on purpose, to test that settlement caps and
///         survives it. It holds vault funds through `execute` like MockERC1271Wallet.
contract HostileERC1271Wallet {
    enum Mode {
        Honest, // the magic value for any signature
        BurnGas, // loops until it runs out of gas
        Revert, // reverts with a long message
        ShortReturn, // returns 3 bytes
        WrongMagic, // returns a full word that is not the magic value
        DirtyMagic, // the magic value followed by non-zero bytes in the same word
        ReturnBomb // the magic value followed by 100 kB of return data

    }

    address public immutable owner;
    Mode public mode;

    constructor(address owner_) {
        owner = owner_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "owner");
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        Mode m = mode;
        if (m == Mode.BurnGas) {
            uint256 i;
            while (gasleft() > 0) {
                i = uint256(keccak256(abi.encode(i)));
            }
        }
        if (m == Mode.Revert) revert("HostileERC1271Wallet: no, and this reason is long on purpose");
        assembly {
            switch m
            case 3 {
                mstore(0, 0x1626ba7e00000000000000000000000000000000000000000000000000000000)
                return(0, 3)
            }
            case 4 {
                mstore(0, 0xdeadbeef00000000000000000000000000000000000000000000000000000000)
                return(0, 32)
            }
            case 5 {
                mstore(0, 0x1626ba7e000000000000000000000000000000000000000000000000000000ff)
                return(0, 32)
            }
            case 6 {
                mstore(0, 0x1626ba7e00000000000000000000000000000000000000000000000000000000)
                return(0, 100000)
            }
        }
        return this.isValidSignature.selector;
    }
}
