// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IConsortiumRegistry
/// @notice Members of the permissioned consortium, their roles and status, and the M-of-N
/// admin governance through which every membership, role and parameter change is made.
interface IConsortiumRegistry {
    enum MemberStatus {
        None,
        Active,
        Suspended
    }

    enum ProposalStatus {
        None,
        Pending,
        Executed,
        Cancelled
    }

    struct Member {
        address account;
        string name;
        bytes32 legalIdHash;
        bytes32 kycHash;
        uint256 roles;
        MemberStatus status;
        uint64 admittedAt;
        uint64 updatedAt;
    }

    /// @notice A member admitted at deployment; the initial admins.
    struct InitialMember {
        address account;
        string name;
        bytes32 legalIdHash;
        bytes32 kycHash;
    }

    struct Proposal {
        uint256 id;
        address proposer;
        address target;
        bytes data;
        ProposalStatus status;
        uint64 createdAt;
        uint64 deadline;
        address[] approvers;
    }

    /// @notice Thrown when an account that is not an active member acts or receives.
    error NotActiveMember(address account);
    /// @notice Thrown when an active member has none of the roles an action needs.
    error MissingRole(address account, uint256 requiredRoles);
    /// @notice Thrown when a governance-only function is called other than by an executed proposal.
    error OnlyGovernance(address caller);
    /// @notice Thrown when admitting an account that already is a member.
    error MemberAlreadyExists(address account);
    /// @notice Thrown when a legal entity is already registered under another address.
    error LegalIdAlreadyRegistered(bytes32 legalIdHash, address account);
    /// @notice Thrown when acting on an address that was never admitted.
    error UnknownMember(address account);
    /// @notice Thrown when a member's status does not allow the change.
    error InvalidMemberStatus(address account, MemberStatus status);
    /// @notice Thrown when a role set is empty or holds undefined bits.
    error InvalidRoles(uint256 roles);
    /// @notice Thrown when a required field is empty.
    error EmptyField(bytes32 field);
    /// @notice Thrown when a proposal targets an address without code.
    error TargetNotContract(address target);
    /// @notice Thrown when the approval threshold would be below 2 or above the active admins.
    error InvalidThreshold(uint256 threshold, uint256 activeAdmins);
    /// @notice Thrown when a proposal lifetime is outside [1 hour, 90 days].
    error InvalidProposalLifetime(uint64 lifetime);
    /// @notice Thrown for a proposal id that does not exist.
    error UnknownProposal(uint256 proposalId);
    /// @notice Thrown when a proposal is no longer pending.
    error ProposalNotPending(uint256 proposalId, ProposalStatus status);
    /// @notice Thrown when a proposal's deadline has passed.
    error ProposalExpired(uint256 proposalId, uint64 deadline);
    /// @notice Thrown when a proposal is executed with fewer active approvals than the threshold.
    error InsufficientApprovals(uint256 proposalId, uint256 approvals, uint256 threshold);
    /// @notice Thrown when an admin approves the same proposal twice.
    error AlreadyApproved(uint256 proposalId, address admin);
    /// @notice Thrown when an admin revokes an approval it never gave.
    error NotApproved(uint256 proposalId, address admin);
    /// @notice Thrown when someone other than the proposer cancels a proposal.
    error NotProposer(uint256 proposalId, address caller);

    /// @notice Emitted when a member is admitted.
    event MemberAdmitted(
        address indexed account, bytes32 indexed legalIdHash, uint256 roles, bytes32 kycHash, string name
    );
    /// @notice Emitted when a member's role set changes.
    event MemberRolesChanged(address indexed account, uint256 oldRoles, uint256 newRoles);
    /// @notice Emitted when a member is suspended.
    event MemberSuspended(address indexed account, bytes32 reason);
    /// @notice Emitted when a suspended member is reinstated.
    event MemberReinstated(address indexed account);
    /// @notice Emitted when a member's KYC document hash is replaced.
    event MemberKycUpdated(address indexed account, bytes32 kycHash);
    /// @notice Emitted when the approval threshold changes.
    event ThresholdChanged(uint256 oldThreshold, uint256 newThreshold);
    /// @notice Emitted when the proposal lifetime changes.
    event ProposalLifetimeChanged(uint64 oldLifetime, uint64 newLifetime);
    /// @notice Emitted when an admin proposes a governed call.
    event ProposalCreated(
        uint256 indexed proposalId, address indexed proposer, address indexed target, bytes data, uint64 deadline
    );
    /// @notice Emitted when an admin approves a proposal (the proposer's own approval included).
    event ProposalApproved(uint256 indexed proposalId, address indexed admin, uint256 approvals);
    /// @notice Emitted when an admin withdraws its approval.
    event ProposalApprovalRevoked(uint256 indexed proposalId, address indexed admin, uint256 approvals);
    /// @notice Emitted when a proposal reaches the threshold and its call succeeds.
    event ProposalExecuted(uint256 indexed proposalId);
    /// @notice Emitted when the proposer cancels a proposal.
    event ProposalCancelled(uint256 indexed proposalId);

    // ---- governance: proposals ------------------------------------------------------------

    /// @notice Proposes a governed call of `target` with `data`, approved by the caller.
    /// @dev Requires an active ADMIN. Executes at once if the threshold is already met.
    /// Emits {ProposalCreated} and {ProposalApproved}.
    function propose(address target, bytes calldata data) external returns (uint256 proposalId);

    /// @notice Approves a pending proposal; the call runs when active approvals reach the
    /// threshold, and if it reverts the approval reverts with the call's error.
    /// @dev Requires an active ADMIN. Emits {ProposalApproved} and maybe {ProposalExecuted}.
    function approve(uint256 proposalId) external;

    /// @notice Withdraws the caller's approval of a pending proposal.
    /// @dev Requires an active ADMIN. Emits {ProposalApprovalRevoked}.
    function revokeApproval(uint256 proposalId) external;

    /// @notice Runs a pending proposal whose approvals already meet the threshold, e.g. after
    /// the threshold was lowered or a failing call can now succeed.
    /// @dev Requires an active ADMIN. Emits {ProposalExecuted}.
    function execute(uint256 proposalId) external;

    /// @notice Cancels a pending proposal. Only its proposer may, while an active ADMIN.
    /// @dev Emits {ProposalCancelled}.
    function cancel(uint256 proposalId) external;

    // ---- governed calls (only through an executed proposal) -------------------------------

    /// @notice Admits `account` with `roles`. Emits {MemberAdmitted}.
    function admitMember(address account, string calldata name, bytes32 legalIdHash, bytes32 kycHash, uint256 roles)
        external;

    /// @notice Replaces a member's role set. Emits {MemberRolesChanged}.
    function setRoles(address account, uint256 roles) external;

    /// @notice Suspends an active member: it can no longer act, and its pieces are frozen.
    /// Emits {MemberSuspended}.
    function suspendMember(address account, bytes32 reason) external;

    /// @notice Reinstates a suspended member. Emits {MemberReinstated}.
    function reinstateMember(address account) external;

    /// @notice Replaces a member's KYC document hash. Emits {MemberKycUpdated}.
    function setKycHash(address account, bytes32 kycHash) external;

    /// @notice Sets how many active admins must approve a proposal. Emits {ThresholdChanged}.
    function setThreshold(uint256 threshold) external;

    /// @notice Sets how long a proposal stays open. Emits {ProposalLifetimeChanged}.
    function setProposalLifetime(uint64 lifetime) external;

    // ---- views ----------------------------------------------------------------------------

    /// @notice Reverts with {NotActiveMember} or {MissingRole} unless `account` is an active
    /// member holding at least one of `anyOfRoles`.
    function requireRole(address account, uint256 anyOfRoles) external view;

    /// @notice Whether `account` is an active member holding at least one of `anyOfRoles`.
    function hasRole(address account, uint256 anyOfRoles) external view returns (bool);

    /// @notice Whether `account` is an active member.
    function isActiveMember(address account) external view returns (bool);

    /// @notice The full record of a member (status None for strangers).
    function getMember(address account) external view returns (Member memory);

    /// @notice Number of members ever admitted.
    function memberCount() external view returns (uint256);

    /// @notice The address of the `index`-th admitted member.
    function memberAt(uint256 index) external view returns (address);

    /// @notice The member registered for a legal-id hash, or zero.
    function memberByLegalId(bytes32 legalIdHash) external view returns (address);

    /// @notice Approvals needed to execute a proposal.
    function threshold() external view returns (uint256);

    /// @notice Active members holding the ADMIN role.
    function activeAdminCount() external view returns (uint256);

    /// @notice How long a new proposal stays open, in seconds.
    function proposalLifetime() external view returns (uint64);

    /// @notice Number of proposals ever created.
    function proposalCount() external view returns (uint256);

    /// @notice The full record of a proposal.
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Approvals of a proposal that count now: by approvers who are still active admins.
    function activeApprovals(uint256 proposalId) external view returns (uint256);
}
