// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDepositToken} from "./interfaces/IDepositToken.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title DepositToken
/// @notice Tokenised bank deposits that pay advances and settlements in the same transaction
/// as the ledger change (delivery versus payment). Every holder is an active member, so a
/// suspended member's cash is frozen like its pieces; what is owed to it meanwhile waits in
/// escrow here, so no payer is blocked (or driven to default) by another's suspension.
contract DepositToken is ERC20, IDepositToken {
    IConsortiumRegistry private immutable _registry;
    address private immutable _issuer;
    IReceivableToken private immutable _ledger;
    uint8 private immutable _decimals;
    mapping(address payee => uint256) private _escrow;

    constructor(
        IConsortiumRegistry registry_,
        address issuer_,
        IReceivableToken ledger_,
        string memory name_,
        string memory symbol_,
        uint8 decimals_
    ) ERC20(name_, symbol_) {
        _registry = registry_;
        _issuer = issuer_;
        _ledger = ledger_;
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
    function ledger() external view returns (address) {
        return address(_ledger);
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

    /// @notice ERC-20 `transferFrom`; the spender too must be an active member (or a ledger contract).
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _requireSpender();
        return super.transferFrom(from, to, value);
    }

    /// @inheritdoc IDepositToken
    function pay(address from, address to, uint256 amount) external returns (bool escrowed) {
        _requireSpender();
        _spendAllowance(from, msg.sender, amount);
        if (_registry.isActiveMember(to)) {
            _transfer(from, to, amount);
            return false;
        }
        if (_registry.getMember(to).status != IConsortiumRegistry.MemberStatus.Suspended) {
            revert IConsortiumRegistry.NotActiveMember(to);
        }
        _registry.requireRole(from, Roles.ALL);
        ERC20._update(from, address(this), amount); // escrow is the one holder that is no member
        _escrow[to] += amount;
        emit PaymentEscrowed(to, from, amount);
        return true;
    }

    /// @inheritdoc IDepositToken
    function claimEscrow() external {
        _registry.requireRole(msg.sender, Roles.ALL);
        uint256 amount = _escrow[msg.sender];
        if (amount == 0) revert NothingEscrowed(msg.sender);
        _escrow[msg.sender] = 0;
        ERC20._update(address(this), msg.sender, amount);
        emit EscrowClaimed(msg.sender, amount);
    }

    /// @inheritdoc IDepositToken
    function escrowOf(address account) external view returns (uint256) {
        return _escrow[account];
    }

    /// @dev Both sides of every transfer must be active members (mint and burn have one
    /// side); only {pay} and {claimEscrow} move escrow, held by this contract.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) _registry.requireRole(from, Roles.ALL);
        if (to != address(0)) _registry.requireRole(to, Roles.ALL);
        super._update(from, to, value);
    }

    function _requireSpender() private view {
        if (msg.sender == address(_ledger) || msg.sender == _ledger.financing()) return;
        _registry.requireRole(msg.sender, Roles.ALL);
    }

    function _requireIssuer() private view {
        if (msg.sender != _issuer) revert NotIssuer(msg.sender);
        _registry.requireRole(msg.sender, Roles.FINANCIER);
    }
}
