// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IDepositToken
/// @notice A permissioned ERC-20 deposit token for delivery versus payment: only active
/// consortium members hold it; its issuing financier mints and burns it. A payment owed to a
/// suspended member waits in escrow in this contract until the member, reinstated, claims it:
/// the payer's obligation is discharged either way.
interface IDepositToken {
    /// @notice Thrown when anyone but the issuer mints or burns.
    error NotIssuer(address caller);
    /// @notice Thrown when a member claims escrow and none waits for it.
    error NothingEscrowed(address account);

    /// @notice Emitted when a payment owed to a suspended member went to escrow.
    event PaymentEscrowed(address indexed payee, address indexed payer, uint256 amount);
    /// @notice Emitted when a reinstated member took its escrowed payments.
    event EscrowClaimed(address indexed payee, uint256 amount);

    /// @notice The financier member that issues and redeems the token.
    function issuer() external view returns (address);

    /// @notice The receivable token whose contracts (it and its financing module) may spend
    /// allowances besides active members.
    function ledger() external view returns (address);

    /// @notice The issuer mints deposits to an active member.
    function mint(address to, uint256 amount) external;

    /// @notice The issuer burns deposits it holds (redeemed to bank money off-chain).
    function burn(uint256 amount) external;

    /// @notice Pays `amount` from `from` to `to` out of the caller's allowance: to `to` if it
    /// is active, to escrow for it if it is a suspended member.
    /// @dev Caller: an active member or a ledger contract; `from` an active member.
    /// Emits {Transfer} and, when escrowed, {PaymentEscrowed}.
    function pay(address from, address to, uint256 amount) external returns (bool escrowed);

    /// @notice A reinstated member takes the payments escrowed for it. Emits {EscrowClaimed}.
    function claimEscrow() external;

    /// @notice Payments waiting in escrow for `account`.
    function escrowOf(address account) external view returns (uint256);
}
