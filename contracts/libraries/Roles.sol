// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Roles
/// @notice Role bits of consortium members. A member's roles are one word, so every
/// contract checks a caller's role set with a single registry read.
library Roles {
    uint256 internal constant ADMIN = 1 << 0;
    uint256 internal constant CORE_ENTERPRISE = 1 << 1;
    uint256 internal constant SUPPLIER = 1 << 2;
    uint256 internal constant FINANCIER = 1 << 3;
    uint256 internal constant AUDITOR = 1 << 4;

    /// @notice Every defined role bit; any other bit is invalid.
    uint256 internal constant ALL = ADMIN | CORE_ENTERPRISE | SUPPLIER | FINANCIER | AUDITOR;

    /// @notice Members that may hold receivable pieces: suppliers and financiers.
    uint256 internal constant HOLDERS = SUPPLIER | FINANCIER;
}
