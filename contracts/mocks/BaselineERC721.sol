// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title BaselineERC721
/// @notice Plain OpenZeppelin ERC-721, deployed beside the ledger in gas benchmarks as a baseline.
contract BaselineERC721 is ERC721 {
    constructor() ERC721("Baseline", "BASE") {}

    /// @notice Mints freely: a benchmark baseline, never deployed on a real network.
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
