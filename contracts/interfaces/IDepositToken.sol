// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IDepositToken
/// @notice A permissioned ERC-20 deposit token for delivery versus payment: only active
/// consortium members hold it; its issuing financier mints and burns it.
interface IDepositToken {
    /// @notice Thrown when anyone but the issuer mints or burns.
    error NotIssuer(address caller);

    /// @notice The financier member that issues and redeems the token.
    function issuer() external view returns (address);

    /// @notice The issuer mints deposits to an active member.
    function mint(address to, uint256 amount) external;

    /// @notice The issuer burns deposits it holds (redeemed to bank money off-chain).
    function burn(uint256 amount) external;
}
