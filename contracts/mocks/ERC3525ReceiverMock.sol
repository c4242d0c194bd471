// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC3525Receiver} from "../interfaces/IERC3525.sol";

/// @title ERC3525ReceiverMock
/// @notice A contract member (e.g. a bank's custody contract) that accepts or refuses value
/// transfers, for testing the receiver check.
contract ERC3525ReceiverMock is IERC165, IERC3525Receiver {
    event Received(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value);

    bool private immutable _accepts;

    constructor(bool accepts) {
        _accepts = accepts;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC3525Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function onERC3525Received(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes calldata)
        external
        returns (bytes4)
    {
        emit Received(operator, fromTokenId, toTokenId, value);
        return _accepts ? IERC3525Receiver.onERC3525Received.selector : bytes4(0xdeadbeef);
    }
}
