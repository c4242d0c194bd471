// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {IERC3525, IERC3525Receiver} from "./interfaces/IERC3525.sol";

/// @title ERC3525
/// @notice EIP-3525 semi-fungible tokens on OpenZeppelin 5's ERC-721.
/// @dev Written for OpenZeppelin 5 instead of using Solv's reference implementation, which
/// pins OpenZeppelin 4 and keeps every value approval in a per-token array that a transfer
/// must walk to clear (unbounded gas). Here value approvals live under a per-token epoch
/// that a whole-token transfer bumps: clearing is O(1). Token id 0 is never minted.
abstract contract ERC3525 is ERC721, IERC3525 {
    /// @notice Thrown when an operator moves more value than it was allowed.
    error ERC3525InsufficientAllowance(uint256 tokenId, address operator, uint256 allowance, uint256 value);
    /// @notice Thrown when a token's value is smaller than the value moved.
    error ERC3525InsufficientBalance(uint256 tokenId, uint256 balance, uint256 value);
    /// @notice Thrown when value moves between tokens of different slots.
    error ERC3525SlotMismatch(uint256 fromTokenId, uint256 toTokenId);
    /// @notice Thrown when a value approval names the token's owner as operator.
    error ERC3525ApprovalToOwner(uint256 tokenId, address operator);
    /// @notice Thrown when a receiving contract does not accept a value transfer.
    error ERC3525InvalidReceiver(address receiver);

    mapping(uint256 tokenId => uint256) private _values;
    mapping(uint256 tokenId => uint256) private _slots;
    mapping(uint256 tokenId => uint256) private _approvalEpochs;
    mapping(uint256 tokenId => mapping(uint256 epoch => mapping(address operator => uint256))) private _allowances;
    uint256 private _lastTokenId;
    uint8 private immutable _valueDecimals;

    constructor(string memory name_, string memory symbol_, uint8 valueDecimals_) ERC721(name_, symbol_) {
        _valueDecimals = valueDecimals_;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view virtual override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IERC3525).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IERC3525
    function valueDecimals() public view virtual returns (uint8) {
        return _valueDecimals;
    }

    /// @inheritdoc IERC3525
    function balanceOf(uint256 tokenId) public view virtual returns (uint256) {
        _requireOwned(tokenId);
        return _values[tokenId];
    }

    /// @inheritdoc IERC3525
    function slotOf(uint256 tokenId) public view virtual returns (uint256) {
        _requireOwned(tokenId);
        return _slots[tokenId];
    }

    /// @inheritdoc IERC3525
    function approve(uint256 tokenId, address operator, uint256 value) public virtual {
        address owner = _requireOwned(tokenId);
        if (operator == owner) revert ERC3525ApprovalToOwner(tokenId, operator);
        if (msg.sender != owner && !isApprovedForAll(owner, msg.sender) && getApproved(tokenId) != msg.sender) {
            revert ERC721InsufficientApproval(msg.sender, tokenId);
        }
        _allowances[tokenId][_approvalEpochs[tokenId]][operator] = value;
        emit ApprovalValue(tokenId, operator, value);
    }

    /// @inheritdoc IERC3525
    function allowance(uint256 tokenId, address operator) public view virtual returns (uint256) {
        _requireOwned(tokenId);
        return _allowances[tokenId][_approvalEpochs[tokenId]][operator];
    }

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256 value) public virtual {
        _spendValueAllowance(msg.sender, fromTokenId, value);
        _transferValue(fromTokenId, toTokenId, value);
        _checkOnERC3525Received(fromTokenId, toTokenId, value, "");
    }

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, address to, uint256 value) public virtual returns (uint256 newTokenId) {
        _spendValueAllowance(msg.sender, fromTokenId, value);
        newTokenId = _mintToken(to, _slots[fromTokenId]);
        _transferValue(fromTokenId, newTokenId, value);
        _checkOnERC3525Received(fromTokenId, newTokenId, value, "");
    }

    /// @notice The highest token id minted so far; ids run from 1 to this.
    function lastTokenId() public view virtual returns (uint256) {
        return _lastTokenId;
    }

    /// @dev Mints an empty token in `slot` to `to`. Emits {Transfer} and {SlotChanged}.
    function _mintToken(address to, uint256 slot) internal virtual returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _slots[tokenId] = slot;
        _mint(to, tokenId);
        emit SlotChanged(tokenId, 0, slot);
    }

    /// @dev Mints `value` into an existing token. Emits {TransferValue} from token 0.
    function _mintValue(uint256 tokenId, uint256 value) internal virtual {
        _requireOwned(tokenId);
        _beforeValueTransfer(0, tokenId, value);
        _values[tokenId] += value;
        emit TransferValue(0, tokenId, value);
    }

    /// @dev Removes `value` from a token (e.g. when it is settled). Emits {TransferValue} to token 0.
    function _burnValue(uint256 tokenId, uint256 value) internal virtual {
        _requireOwned(tokenId);
        uint256 balance = _values[tokenId];
        if (value > balance) revert ERC3525InsufficientBalance(tokenId, balance, value);
        _beforeValueTransfer(tokenId, 0, value);
        _values[tokenId] = balance - value;
        emit TransferValue(tokenId, 0, value);
    }

    /// @dev Moves value between two existing tokens of one slot. Emits {TransferValue}.
    function _transferValue(uint256 fromTokenId, uint256 toTokenId, uint256 value) internal virtual {
        _requireOwned(fromTokenId);
        _requireOwned(toTokenId);
        if (_slots[fromTokenId] != _slots[toTokenId]) revert ERC3525SlotMismatch(fromTokenId, toTokenId);
        uint256 balance = _values[fromTokenId];
        if (value > balance) revert ERC3525InsufficientBalance(fromTokenId, balance, value);
        _beforeValueTransfer(fromTokenId, toTokenId, value);
        _moveValue(fromTokenId, toTokenId, value);
    }

    /// @dev Moves value between two tokens of one slot without the transfer hook: after
    /// {_transferValue}'s checks, or for the implementation's own bookkeeping (value going
    /// back where it came from). Emits {TransferValue}.
    function _moveValue(uint256 fromTokenId, uint256 toTokenId, uint256 value) internal virtual {
        _values[fromTokenId] -= value;
        _values[toTokenId] += value;
        emit TransferValue(fromTokenId, toTokenId, value);
    }

    /// @dev Owner, ERC-721 approved and operators-for-all move any value; others spend
    /// their value allowance.
    function _spendValueAllowance(address operator, uint256 tokenId, uint256 value) internal virtual {
        address owner = _requireOwned(tokenId);
        if (_isAuthorized(owner, operator, tokenId)) return;
        uint256 epoch = _approvalEpochs[tokenId];
        uint256 allowed = _allowances[tokenId][epoch][operator];
        if (allowed == type(uint256).max) return;
        if (allowed < value) revert ERC3525InsufficientAllowance(tokenId, operator, allowed, value);
        unchecked {
            _allowances[tokenId][epoch][operator] = allowed - value;
        }
    }

    /// @dev Clears value approvals when a token changes hands, in O(1).
    function _update(address to, uint256 tokenId, address auth) internal virtual override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != from) ++_approvalEpochs[tokenId];
    }

    /// @dev Hook called before value moves; 0 as `fromTokenId` for mint, as `toTokenId` for burn.
    function _beforeValueTransfer(uint256 fromTokenId, uint256 toTokenId, uint256 value) internal virtual {}

    function _checkOnERC3525Received(uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes memory data)
        internal
        virtual
    {
        address to = ownerOf(toTokenId);
        if (to.code.length == 0) return;
        if (!ERC165Checker.supportsInterface(to, type(IERC3525Receiver).interfaceId)) return;
        try IERC3525Receiver(to).onERC3525Received(msg.sender, fromTokenId, toTokenId, value, data) returns (
            bytes4 retval
        ) {
            if (retval != IERC3525Receiver.onERC3525Received.selector) revert ERC3525InvalidReceiver(to);
        } catch {
            revert ERC3525InvalidReceiver(to);
        }
    }
}
