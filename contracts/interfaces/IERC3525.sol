// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IERC3525
/// @notice The semi-fungible token standard (EIP-3525): ERC-721 tokens that carry a value,
/// fungible between tokens of the same slot. Interface id 0xd5358140.
/// @dev The EIP declares `approve` and both `transferFrom` payable; this ledger never takes
/// ether, so they are non-payable here. Payability does not change the selectors or the id.
interface IERC3525 is IERC165 {
    /// @notice Emitted when value moves from one token to another (0 ids for mint/burn).
    event TransferValue(uint256 indexed _fromTokenId, uint256 indexed _toTokenId, uint256 _value);
    /// @notice Emitted when an operator is allowed to move part of a token's value.
    event ApprovalValue(uint256 indexed _tokenId, address indexed _operator, uint256 _value);
    /// @notice Emitted when a token's slot changes (0 as old slot on mint).
    event SlotChanged(uint256 indexed _tokenId, uint256 indexed _oldSlot, uint256 indexed _newSlot);

    /// @notice Decimals of token values.
    function valueDecimals() external view returns (uint8);

    /// @notice The value of a token.
    function balanceOf(uint256 _tokenId) external view returns (uint256);

    /// @notice The slot of a token.
    function slotOf(uint256 _tokenId) external view returns (uint256);

    /// @notice Allows `_operator` to move up to `_value` of `_tokenId`'s value.
    function approve(uint256 _tokenId, address _operator, uint256 _value) external;

    /// @notice The value `_operator` may still move out of `_tokenId`.
    function allowance(uint256 _tokenId, address _operator) external view returns (uint256);

    /// @notice Moves value between two tokens of the same slot.
    function transferFrom(uint256 _fromTokenId, uint256 _toTokenId, uint256 _value) external;

    /// @notice Moves value to a new token of the same slot owned by `_to`.
    function transferFrom(uint256 _fromTokenId, address _to, uint256 _value) external returns (uint256);
}

/// @title IERC3525Receiver
/// @notice Implemented by contracts that accept value transfers. Interface id 0x009ce20b.
interface IERC3525Receiver {
    function onERC3525Received(
        address _operator,
        uint256 _fromTokenId,
        uint256 _toTokenId,
        uint256 _value,
        bytes calldata _data
    ) external returns (bytes4);
}
