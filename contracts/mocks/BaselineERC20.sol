// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BaselineERC20
/// @notice Plain OpenZeppelin ERC-20, deployed beside the ledger in gas benchmarks as a baseline.
contract BaselineERC20 is ERC20 {
    constructor() ERC20("Baseline", "BASE") {}

    /// @notice Mints freely: a benchmark baseline, never deployed on a real network.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
