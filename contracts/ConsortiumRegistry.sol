// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title ConsortiumRegistry
/// @notice Who may act on the ledger. Membership, roles and parameters change only through
/// proposals that `threshold` active admins approve (never fewer than two), so no single
/// key can admit a member. The registry also governs other contracts: a proposal may call
/// any contract whose governance is this registry.
contract ConsortiumRegistry is IConsortiumRegistry {
    /// @notice No proposal executes with fewer approvals than this.
    uint256 public constant MIN_THRESHOLD = 2;
    uint64 public constant MIN_PROPOSAL_LIFETIME = 1 hours;
    uint64 public constant MAX_PROPOSAL_LIFETIME = 90 days;

    mapping(address account => Member) private _members;
    mapping(bytes32 legalIdHash => address account) private _memberByLegalId;
    address[] private _memberList;
    uint256 private _activeAdmins;
    uint256 private _threshold;
    uint64 private _proposalLifetime;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address admin => bool)) private _approved;
    uint256 private _proposalCount;

    modifier onlyGovernance() {
        if (msg.sender != address(this)) revert OnlyGovernance(msg.sender);
        _;
    }

    modifier onlyAdmin() {
        _requireRole(msg.sender, Roles.ADMIN);
        _;
    }

    /// @param admins the founding admins; at least `threshold` of them.
    /// @param threshold_ approvals needed per proposal, at least {MIN_THRESHOLD}.
    /// @param proposalLifetime_ seconds a proposal stays open.
    constructor(InitialMember[] memory admins, uint256 threshold_, uint64 proposalLifetime_) {
        for (uint256 i = 0; i < admins.length; ++i) {
            InitialMember memory m = admins[i];
            _admit(m.account, m.name, m.legalIdHash, m.kycHash, Roles.ADMIN);
        }
        _setThreshold(threshold_);
        _setProposalLifetime(proposalLifetime_);
    }

    // ---- governance: proposals ------------------------------------------------------------

    /// @inheritdoc IConsortiumRegistry
    function propose(address target, bytes calldata data) external onlyAdmin returns (uint256 proposalId) {
        if (target.code.length == 0) revert TargetNotContract(target);
        if (data.length < 4) revert EmptyField("data");
        proposalId = ++_proposalCount;
        Proposal storage p = _proposals[proposalId];
        p.id = proposalId;
        p.proposer = msg.sender;
        p.target = target;
        p.data = data;
        p.status = ProposalStatus.Pending;
        p.createdAt = uint64(block.timestamp);
        p.deadline = uint64(block.timestamp) + _proposalLifetime;
        emit ProposalCreated(proposalId, msg.sender, target, data, p.deadline);
        _approve(p);
    }

    /// @inheritdoc IConsortiumRegistry
    function approve(uint256 proposalId) external onlyAdmin {
        _approve(_openProposal(proposalId));
    }

    /// @inheritdoc IConsortiumRegistry
    function revokeApproval(uint256 proposalId) external onlyAdmin {
        Proposal storage p = _openProposal(proposalId);
        if (!_approved[proposalId][msg.sender]) revert NotApproved(proposalId, msg.sender);
        _approved[proposalId][msg.sender] = false;
        address[] storage approvers = p.approvers;
        for (uint256 i = 0; i < approvers.length; ++i) {
            if (approvers[i] == msg.sender) {
                approvers[i] = approvers[approvers.length - 1];
                approvers.pop();
                break;
            }
        }
        emit ProposalApprovalRevoked(proposalId, msg.sender, approvers.length);
    }

    /// @inheritdoc IConsortiumRegistry
    function execute(uint256 proposalId) external onlyAdmin {
        Proposal storage p = _openProposal(proposalId);
        uint256 approvals = _countActiveApprovals(p);
        if (approvals < _threshold) revert InsufficientApprovals(proposalId, approvals, _threshold);
        _execute(p);
    }

    /// @inheritdoc IConsortiumRegistry
    function cancel(uint256 proposalId) external onlyAdmin {
        Proposal storage p = _openProposal(proposalId);
        if (p.proposer != msg.sender) revert NotProposer(proposalId, msg.sender);
        p.status = ProposalStatus.Cancelled;
        emit ProposalCancelled(proposalId);
    }

    // ---- governed calls -------------------------------------------------------------------

    /// @inheritdoc IConsortiumRegistry
    function admitMember(address account, string calldata name, bytes32 legalIdHash, bytes32 kycHash, uint256 roles)
        external
        onlyGovernance
    {
        _admit(account, name, legalIdHash, kycHash, roles);
    }

    /// @inheritdoc IConsortiumRegistry
    function setRoles(address account, uint256 roles) external onlyGovernance {
        _checkRoles(roles);
        Member storage m = _existingMember(account);
        uint256 oldRoles = m.roles;
        if (m.status == MemberStatus.Active) {
            bool wasAdmin = oldRoles & Roles.ADMIN != 0;
            bool isAdmin = roles & Roles.ADMIN != 0;
            if (wasAdmin && !isAdmin) _removeActiveAdmin();
            if (!wasAdmin && isAdmin) ++_activeAdmins;
        }
        m.roles = roles;
        m.updatedAt = uint64(block.timestamp);
        emit MemberRolesChanged(account, oldRoles, roles);
    }

    /// @inheritdoc IConsortiumRegistry
    function suspendMember(address account, bytes32 reason) external onlyGovernance {
        Member storage m = _existingMember(account);
        if (m.status != MemberStatus.Active) revert InvalidMemberStatus(account, m.status);
        if (m.roles & Roles.ADMIN != 0) _removeActiveAdmin();
        m.status = MemberStatus.Suspended;
        m.updatedAt = uint64(block.timestamp);
        emit MemberSuspended(account, reason);
    }

    /// @inheritdoc IConsortiumRegistry
    function reinstateMember(address account) external onlyGovernance {
        Member storage m = _existingMember(account);
        if (m.status != MemberStatus.Suspended) revert InvalidMemberStatus(account, m.status);
        if (m.roles & Roles.ADMIN != 0) ++_activeAdmins;
        m.status = MemberStatus.Active;
        m.updatedAt = uint64(block.timestamp);
        emit MemberReinstated(account);
    }

    /// @inheritdoc IConsortiumRegistry
    function setKycHash(address account, bytes32 kycHash) external onlyGovernance {
        if (kycHash == bytes32(0)) revert EmptyField("kycHash");
        Member storage m = _existingMember(account);
        m.kycHash = kycHash;
        m.updatedAt = uint64(block.timestamp);
        emit MemberKycUpdated(account, kycHash);
    }

    /// @inheritdoc IConsortiumRegistry
    function setThreshold(uint256 threshold_) external onlyGovernance {
        _setThreshold(threshold_);
    }

    /// @inheritdoc IConsortiumRegistry
    function setProposalLifetime(uint64 lifetime) external onlyGovernance {
        _setProposalLifetime(lifetime);
    }

    // ---- views ----------------------------------------------------------------------------

    /// @inheritdoc IConsortiumRegistry
    function requireRole(address account, uint256 anyOfRoles) external view {
        _requireRole(account, anyOfRoles);
    }

    /// @inheritdoc IConsortiumRegistry
    function hasRole(address account, uint256 anyOfRoles) external view returns (bool) {
        Member storage m = _members[account];
        return m.status == MemberStatus.Active && m.roles & anyOfRoles != 0;
    }

    /// @inheritdoc IConsortiumRegistry
    function isActiveMember(address account) external view returns (bool) {
        return _members[account].status == MemberStatus.Active;
    }

    /// @inheritdoc IConsortiumRegistry
    function getMember(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IConsortiumRegistry
    function memberCount() external view returns (uint256) {
        return _memberList.length;
    }

    /// @inheritdoc IConsortiumRegistry
    function memberAt(uint256 index) external view returns (address) {
        return _memberList[index];
    }

    /// @inheritdoc IConsortiumRegistry
    function memberByLegalId(bytes32 legalIdHash) external view returns (address) {
        return _memberByLegalId[legalIdHash];
    }

    /// @inheritdoc IConsortiumRegistry
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IConsortiumRegistry
    function activeAdminCount() external view returns (uint256) {
        return _activeAdmins;
    }

    /// @inheritdoc IConsortiumRegistry
    function proposalLifetime() external view returns (uint64) {
        return _proposalLifetime;
    }

    /// @inheritdoc IConsortiumRegistry
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        if (_proposals[proposalId].status == ProposalStatus.None) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortiumRegistry
    function activeApprovals(uint256 proposalId) external view returns (uint256) {
        Proposal storage p = _proposals[proposalId];
        if (p.status == ProposalStatus.None) revert UnknownProposal(proposalId);
        return _countActiveApprovals(p);
    }

    // ---- internals ------------------------------------------------------------------------

    function _admit(address account, string memory name, bytes32 legalIdHash, bytes32 kycHash, uint256 roles)
        private
    {
        if (account == address(0)) revert EmptyField("account");
        if (bytes(name).length == 0) revert EmptyField("name");
        if (legalIdHash == bytes32(0)) revert EmptyField("legalIdHash");
        if (kycHash == bytes32(0)) revert EmptyField("kycHash");
        _checkRoles(roles);
        if (_members[account].status != MemberStatus.None) revert MemberAlreadyExists(account);
        address holder = _memberByLegalId[legalIdHash];
        if (holder != address(0)) revert LegalIdAlreadyRegistered(legalIdHash, holder);

        _members[account] = Member({
            account: account,
            name: name,
            legalIdHash: legalIdHash,
            kycHash: kycHash,
            roles: roles,
            status: MemberStatus.Active,
            admittedAt: uint64(block.timestamp),
            updatedAt: uint64(block.timestamp)
        });
        _memberByLegalId[legalIdHash] = account;
        _memberList.push(account);
        if (roles & Roles.ADMIN != 0) ++_activeAdmins;
        emit MemberAdmitted(account, legalIdHash, roles, kycHash, name);
    }

    function _approve(Proposal storage p) private {
        if (_approved[p.id][msg.sender]) revert AlreadyApproved(p.id, msg.sender);
        _approved[p.id][msg.sender] = true;
        p.approvers.push(msg.sender);
        emit ProposalApproved(p.id, msg.sender, p.approvers.length);
        if (_countActiveApprovals(p) >= _threshold) _execute(p);
    }

    function _execute(Proposal storage p) private {
        // Marked before the call so a re-entering proposal cannot run twice; if the call
        // reverts, the whole transaction (and this mark) reverts with the call's own error.
        p.status = ProposalStatus.Executed;
        Address.functionCall(p.target, p.data);
        emit ProposalExecuted(p.id);
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.status == ProposalStatus.None) revert UnknownProposal(proposalId);
        if (p.status != ProposalStatus.Pending) revert ProposalNotPending(proposalId, p.status);
        if (block.timestamp > p.deadline) revert ProposalExpired(proposalId, p.deadline);
    }

    function _countActiveApprovals(Proposal storage p) private view returns (uint256 count) {
        address[] storage approvers = p.approvers;
        for (uint256 i = 0; i < approvers.length; ++i) {
            Member storage m = _members[approvers[i]];
            if (m.status == MemberStatus.Active && m.roles & Roles.ADMIN != 0) ++count;
        }
    }

    function _requireRole(address account, uint256 anyOfRoles) private view {
        Member storage m = _members[account];
        if (m.status != MemberStatus.Active) revert NotActiveMember(account);
        if (m.roles & anyOfRoles == 0) revert MissingRole(account, anyOfRoles);
    }

    function _existingMember(address account) private view returns (Member storage m) {
        m = _members[account];
        if (m.status == MemberStatus.None) revert UnknownMember(account);
    }

    function _checkRoles(uint256 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert InvalidRoles(roles);
    }

    function _removeActiveAdmin() private {
        uint256 remaining = _activeAdmins - 1;
        if (remaining < _threshold) revert InvalidThreshold(_threshold, remaining);
        _activeAdmins = remaining;
    }

    function _setThreshold(uint256 threshold_) private {
        if (threshold_ < MIN_THRESHOLD || threshold_ > _activeAdmins) {
            revert InvalidThreshold(threshold_, _activeAdmins);
        }
        uint256 old = _threshold;
        _threshold = threshold_;
        emit ThresholdChanged(old, threshold_);
    }

    function _setProposalLifetime(uint64 lifetime) private {
        if (lifetime < MIN_PROPOSAL_LIFETIME || lifetime > MAX_PROPOSAL_LIFETIME) {
            revert InvalidProposalLifetime(lifetime);
        }
        uint64 old = _proposalLifetime;
        _proposalLifetime = lifetime;
        emit ProposalLifetimeChanged(old, lifetime);
    }
}
