// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDepositToken} from "./interfaces/IDepositToken.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title DepositToken
/// @notice Tokenised bank deposits that pay advances and settlements in the same transaction
/// as the ledger change (delivery versus payment). Every holder is an active member, so a
/// suspended member's cash is frozen like its pieces.
contract DepositToken is ERC20, IDepositToken {
    IConsortiumRegistry private immutable _registry;
    address private immutable _issuer;
    uint8 private immutable _decimals;

    constructor(IConsortiumRegistry registry_, address issuer_, string memory name_, string memory symbol_, uint8 decimals_)
        ERC20(name_, symbol_)
    {
        _registry = registry_;
        _issuer = issuer_;
        _decimals = decimals_;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc IDepositToken
    function issuer() external view returns (address) {
        return _issuer;
    }

    /// @inheritdoc IDepositToken
    function mint(address to, uint256 amount) external {
        _requireIssuer();
        _mint(to, amount);
    }

    /// @inheritdoc IDepositToken
    function burn(uint256 amount) external {
        _requireIssuer();
        _burn(msg.sender, amount);
    }

    /// @dev Both sides of every transfer must be active members (mint and burn have one side).
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) _registry.requireRole(from, Roles.ALL);
        if (to != address(0)) _registry.requireRole(to, Roles.ALL);
        super._update(from, to, value);
    }

    function _requireIssuer() private view {
        if (msg.sender != _issuer) revert NotIssuer(msg.sender);
        _registry.requireRole(msg.sender, Roles.FINANCIER);
    }
}
