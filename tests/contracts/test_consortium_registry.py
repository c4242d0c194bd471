"""ConsortiumRegistry: members, roles, status and M-of-N admin governance."""

from __future__ import annotations

from functools import partial

import pytest
from web3.contract.contract import ContractFunction

from scfledger.chain.contract_types import record
from scfledger.chain.deploy import DAY, InitialAdmin, LedgerParams, deploy_ledger
from scfledger.chain.generated import MemberStatus, Proposal, ProposalStatus
from scfledger.chain.governance import encode_call, govern_all, propose
from scfledger.chain.tx import event_args
from tests.support.ledger import (
    ADMIN,
    AUDITOR,
    CORE_ENTERPRISE,
    FINANCIER,
    SUPPLIER,
    Consortium,
    h,
    new_chain,
)

ACTIVE, SUSPENDED = MemberStatus.ACTIVE, MemberStatus.SUSPENDED
PENDING, EXECUTED, CANCELLED = (
    ProposalStatus.PENDING,
    ProposalStatus.EXECUTED,
    ProposalStatus.CANCELLED,
)


def field(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def admit(
    c: Consortium, account: str, name: str = "Newco", roles: int = SUPPLIER
) -> ContractFunction:
    return c.registry.functions.admitMember(
        account, name, h(f"legal-{name}"), h(f"kyc-{name}"), roles
    )


def member(c: Consortium, account: str) -> tuple[object, ...]:
    return tuple(c.registry.functions.getMember(account).call())


def proposal(c: Consortium, proposal_id: int) -> Proposal:
    return record(Proposal, c.registry.functions.getProposal(proposal_id).call())


# ---- deployment ----------------------------------------------------------------------------


def test_deployment_admits_founding_admins_with_threshold_and_lifetime(
    consortium: Consortium,
) -> None:
    c = consortium
    assert c.registry.functions.threshold().call() == 2
    assert c.registry.functions.activeAdminCount().call() == 3
    assert c.registry.functions.proposalLifetime().call() == 7 * DAY
    record = member(c, c.admin1)
    assert record[:6] == (
        c.admin1,
        "admin1",
        c.legal_id_hash("admin1"),
        c.kyc_hash("admin1"),
        ADMIN,
        ACTIVE,
    )
    assert c.registry.functions.memberAt(0).call() == c.admin1
    assert c.registry.functions.memberByLegalId(c.legal_id_hash("admin2")).call() == c.admin2


@pytest.mark.parametrize(("threshold", "admins"), [(1, 3), (4, 3), (0, 3)])
def test_deployment_fails_when_threshold_is_not_between_two_and_admin_count(
    consortium: Consortium, threshold: int, admins: int
) -> None:
    c = consortium
    founders = [
        InitialAdmin(c.accounts[n], n, h(f"l-{n}"), h(f"k-{n}"))
        for n in ("admin1", "admin2", "admin3")
    ]
    c.expect_revert(
        lambda: deploy_ledger(
            c.w3, deployer=c.deployer, admins=founders, params=LedgerParams(threshold=threshold)
        ),
        "InvalidThreshold",
        threshold,
        admins,
    )


def test_deployment_fails_when_two_founders_share_a_legal_id() -> None:
    w3, tester = new_chain(3)
    a, b, deployer = list(w3.eth.accounts)[:3]
    founders = [InitialAdmin(a, "a", h("same"), h("k1")), InitialAdmin(b, "b", h("same"), h("k2"))]
    c = Consortium(w3=w3, tester=tester, ledger=None, accounts={})  # type: ignore[arg-type]
    c.expect_revert(
        lambda: deploy_ledger(w3, deployer=deployer, admins=founders),
        "LegalIdAlreadyRegistered",
        h("same"),
        a,
    )


# ---- M-of-N governance ---------------------------------------------------------------------


def test_govern_all_passes_every_call_and_returns_their_proposals_in_order(
    consortium: Consortium,
) -> None:
    """Several admissions proposed at once, then approved at once (scf up's seeding): each
    is its own proposal, executed, in the order of the calls."""
    c = consortium
    calls = [admit(c, c.outsider, "Newco"), admit(c, c.deployer, "Otherco", roles=FINANCIER)]
    first = c.registry.functions.proposalCount().call()
    ids = govern_all(c.w3, c.registry, calls, proposer=c.admin1, approvers=[c.admin2])
    assert ids == [first + 1, first + 2]
    assert [proposal(c, i).status for i in ids] == [EXECUTED, EXECUTED]
    assert [member(c, a)[1] for a in (c.outsider, c.deployer)] == ["Newco", "Otherco"]
    assert c.registry.functions.hasRole(c.deployer, FINANCIER).call()


def test_one_admin_alone_cannot_admit_a_member(consortium: Consortium) -> None:
    c = consortium
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    assert member(c, c.outsider)[5] == 0
    proposal = c.registry.functions.getProposal(proposal_id).call()
    assert proposal[4] == PENDING
    assert proposal[7] == [c.admin1]
    assert c.registry.functions.activeApprovals(proposal_id).call() == 1


def test_second_approval_executes_the_admission(consortium: Consortium) -> None:
    c = consortium
    proposal_id = propose(
        c.w3, c.registry, admit(c, c.outsider, roles=SUPPLIER | FINANCIER), c.admin1
    )
    receipt = c.tx(c.registry.functions.approve(proposal_id), c.admin3)
    admitted = event_args(c.registry, "MemberAdmitted", receipt)
    assert admitted == [
        {
            "account": c.outsider,
            "legalIdHash": h("legal-Newco"),
            "roles": SUPPLIER | FINANCIER,
            "kycHash": h("kyc-Newco"),
            "name": "Newco",
        }
    ]
    assert event_args(c.registry, "ProposalExecuted", receipt) == [{"proposalId": proposal_id}]
    assert member(c, c.outsider)[:6] == (
        c.outsider,
        "Newco",
        h("legal-Newco"),
        h("kyc-Newco"),
        12,
        ACTIVE,
    )
    assert proposal(c, proposal_id).status == EXECUTED
    assert c.registry.functions.hasRole(c.outsider, FINANCIER).call()
    assert c.registry.functions.memberCount().call() == 3 + 9 + 1


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        ("admitMember", ("outsider", "X", "legal", "kyc", SUPPLIER)),
        ("setRoles", ("supplier1", FINANCIER)),
        ("suspendMember", ("supplier1", "reason")),
        ("reinstateMember", ("supplier1",)),
        ("setKycHash", ("supplier1", "kyc")),
        ("setThreshold", (3,)),
        ("setProposalLifetime", (DAY,)),
    ],
)
def test_governed_functions_fail_when_called_directly_by_an_admin(
    consortium: Consortium, fn: str, args: tuple[object, ...]
) -> None:
    c = consortium
    resolved = [
        c.accounts[a]
        if isinstance(a, str) and a in c.accounts
        else h(a)
        if a in ("legal", "kyc", "reason")
        else a
        for a in args
    ]
    c.expect_revert(
        lambda: c.tx(getattr(c.registry.functions, fn)(*resolved), c.admin1),
        "OnlyGovernance",
        c.admin1,
    )


def test_propose_fails_for_non_member_and_for_non_admin(consortium: Consortium) -> None:
    c = consortium
    call = admit(c, c.outsider)
    c.expect_revert(
        lambda: propose(c.w3, c.registry, call, c.outsider), "NotActiveMember", c.outsider
    )
    c.expect_revert(
        lambda: propose(c.w3, c.registry, call, c.supplier1), "MissingRole", c.supplier1, ADMIN
    )


def test_propose_fails_when_target_has_no_code_or_data_is_empty(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    c.expect_revert(
        lambda: c.tx(fn.propose(c.outsider, b"\x01\x02\x03\x04"), c.admin1),
        "TargetNotContract",
        c.outsider,
    )
    c.expect_revert(
        lambda: c.tx(fn.propose(c.registry.address, b""), c.admin1), "EmptyField", field("data")
    )


def test_approve_fails_when_repeated_unknown_executed_or_by_non_admin(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.registry.functions
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    c.expect_revert(
        lambda: c.tx(fn.approve(proposal_id), c.admin1), "AlreadyApproved", proposal_id, c.admin1
    )
    c.expect_revert(lambda: c.tx(fn.approve(proposal_id), c.bank), "MissingRole", c.bank, ADMIN)
    c.expect_revert(lambda: c.tx(fn.approve(999), c.admin2), "UnknownProposal", 999)
    c.tx(fn.approve(proposal_id), c.admin2)
    c.expect_revert(
        lambda: c.tx(fn.approve(proposal_id), c.admin3), "ProposalNotPending", proposal_id, EXECUTED
    )
    c.expect_revert(lambda: c.call(fn.getProposal(999)), "UnknownProposal", 999)
    c.expect_revert(lambda: c.call(fn.activeApprovals(999)), "UnknownProposal", 999)


def test_approve_fails_after_the_deadline(consortium: Consortium) -> None:
    c = consortium
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    deadline = proposal(c, proposal_id).deadline
    c.eth_tester.time_travel(deadline + 1)
    c.expect_revert(
        lambda: c.tx(c.registry.functions.approve(proposal_id), c.admin2),
        "ProposalExpired",
        proposal_id,
        deadline,
    )
    assert member(c, c.outsider)[5] == 0


def test_only_the_proposer_cancels_and_a_cancelled_proposal_cannot_pass(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.registry.functions
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    c.expect_revert(
        lambda: c.tx(fn.cancel(proposal_id), c.admin2), "NotProposer", proposal_id, c.admin2
    )
    receipt = c.tx(fn.cancel(proposal_id), c.admin1)
    assert event_args(c.registry, "ProposalCancelled", receipt) == [{"proposalId": proposal_id}]
    c.expect_revert(
        lambda: c.tx(fn.approve(proposal_id), c.admin2),
        "ProposalNotPending",
        proposal_id,
        CANCELLED,
    )
    assert member(c, c.outsider)[5] == 0


def test_revoked_approval_no_longer_counts(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    c.govern(fn.setThreshold(3))
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    c.tx(fn.approve(proposal_id), c.admin2)
    receipt = c.tx(fn.revokeApproval(proposal_id), c.admin1)
    assert event_args(c.registry, "ProposalApprovalRevoked", receipt)[0]["approvals"] == 1
    assert proposal(c, proposal_id).approvers == [c.admin2]
    c.expect_revert(
        lambda: c.tx(fn.revokeApproval(proposal_id), c.admin1), "NotApproved", proposal_id, c.admin1
    )
    c.tx(fn.approve(proposal_id), c.admin3)
    assert member(c, c.outsider)[5] == 0  # two of three
    c.tx(fn.approve(proposal_id), c.admin1)
    assert member(c, c.outsider)[5] == ACTIVE


def test_failing_proposal_call_reverts_the_approval_with_the_call_error(
    consortium: Consortium,
) -> None:
    c = consortium
    # supplier1's legal id belongs to supplier1: the admission must fail with that reason.
    call = c.registry.functions.admitMember(
        c.outsider, "Clone", c.legal_id_hash("supplier1"), h("k"), SUPPLIER
    )
    proposal_id = propose(c.w3, c.registry, call, c.admin1)
    c.expect_revert(
        lambda: c.tx(c.registry.functions.approve(proposal_id), c.admin2),
        "LegalIdAlreadyRegistered",
        c.legal_id_hash("supplier1"),
        c.supplier1,
    )
    assert proposal(c, proposal_id).status == PENDING
    assert member(c, c.outsider)[5] == 0


def test_execute_runs_a_proposal_once_enough_approvals_count(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    c.govern(fn.setThreshold(3))
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin1)
    c.tx(fn.approve(proposal_id), c.admin2)
    c.expect_revert(
        lambda: c.tx(fn.execute(proposal_id), c.admin1), "InsufficientApprovals", proposal_id, 2, 3
    )
    # Lower the threshold back to 2 (needs 3 of 3 now), then the waiting proposal can run.
    lower = propose(c.w3, c.registry, fn.setThreshold(2), c.admin1)
    c.tx(fn.approve(lower), c.admin2)
    c.tx(fn.approve(lower), c.admin3)
    receipt = c.tx(fn.execute(proposal_id), c.admin3)
    assert event_args(c.registry, "ProposalExecuted", receipt) == [{"proposalId": proposal_id}]
    assert member(c, c.outsider)[5] == ACTIVE


def test_approval_of_a_suspended_admin_no_longer_counts(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    proposal_id = propose(c.w3, c.registry, admit(c, c.outsider), c.admin3)
    c.govern(fn.suspendMember(c.admin3, h("lost key")))
    assert fn.activeApprovals(proposal_id).call() == 0
    c.tx(fn.approve(proposal_id), c.admin1)
    assert member(c, c.outsider)[5] == 0
    c.tx(fn.approve(proposal_id), c.admin2)
    assert member(c, c.outsider)[5] == ACTIVE


# ---- governed calls ------------------------------------------------------------------------


def test_admission_fails_with_the_exact_error_for_each_bad_field(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    zero = "0x" + "00" * 20
    cases = [
        (fn.admitMember(zero, "X", h("l"), h("k"), SUPPLIER), "EmptyField", (field("account"),)),
        (fn.admitMember(c.outsider, "", h("l"), h("k"), SUPPLIER), "EmptyField", (field("name"),)),
        (
            fn.admitMember(c.outsider, "X", b"\0" * 32, h("k"), SUPPLIER),
            "EmptyField",
            (field("legalIdHash"),),
        ),
        (
            fn.admitMember(c.outsider, "X", h("l"), b"\0" * 32, SUPPLIER),
            "EmptyField",
            (field("kycHash"),),
        ),
        (fn.admitMember(c.outsider, "X", h("l"), h("k"), 0), "InvalidRoles", (0,)),
        (fn.admitMember(c.outsider, "X", h("l"), h("k"), 1 << 5), "InvalidRoles", (1 << 5,)),
        (
            fn.admitMember(c.supplier1, "X", h("l"), h("k"), SUPPLIER),
            "MemberAlreadyExists",
            (c.supplier1,),
        ),
    ]
    for call, name, values in cases:
        c.expect_revert(partial(c.govern, call), name, *values)
    assert member(c, c.outsider)[5] == 0


def test_roles_change_and_removing_admins_below_threshold_fails(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    receipt_id = c.govern(fn.setRoles(c.supplier1, SUPPLIER | FINANCIER))
    assert receipt_id > 0
    assert member(c, c.supplier1)[4] == SUPPLIER | FINANCIER
    c.govern(fn.setRoles(c.admin3, AUDITOR))
    assert fn.activeAdminCount().call() == 2
    c.expect_revert(lambda: c.govern(fn.setRoles(c.admin2, AUDITOR)), "InvalidThreshold", 2, 1)
    c.expect_revert(
        lambda: c.govern(fn.setRoles(c.outsider, SUPPLIER)), "UnknownMember", c.outsider
    )
    c.expect_revert(lambda: c.govern(fn.setRoles(c.supplier1, 64)), "InvalidRoles", 64)
    c.govern(fn.setRoles(c.supplier2, SUPPLIER | ADMIN))
    assert fn.activeAdminCount().call() == 3


def test_suspend_and_reinstate_follow_member_status(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    proposal_id = c.govern(fn.suspendMember(c.supplier1, h("fraud inquiry")))
    assert proposal_id > 0
    assert member(c, c.supplier1)[5] == SUSPENDED
    assert not fn.isActiveMember(c.supplier1).call()
    assert not fn.hasRole(c.supplier1, SUPPLIER).call()
    c.expect_revert(
        lambda: c.call(fn.requireRole(c.supplier1, SUPPLIER)), "NotActiveMember", c.supplier1
    )
    c.expect_revert(
        lambda: c.govern(fn.suspendMember(c.supplier1, h("x"))),
        "InvalidMemberStatus",
        c.supplier1,
        2,
    )
    c.govern(fn.reinstateMember(c.supplier1))
    assert member(c, c.supplier1)[5] == ACTIVE
    c.expect_revert(
        lambda: c.govern(fn.reinstateMember(c.supplier1)), "InvalidMemberStatus", c.supplier1, 1
    )
    c.expect_revert(
        lambda: c.govern(fn.suspendMember(c.outsider, h("x"))), "UnknownMember", c.outsider
    )


def test_suspending_admins_below_threshold_fails_and_reinstating_restores_count(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.registry.functions
    c.govern(fn.suspendMember(c.admin3, h("leave")))
    assert fn.activeAdminCount().call() == 2
    c.expect_revert(lambda: c.govern(fn.suspendMember(c.admin2, h("x"))), "InvalidThreshold", 2, 1)
    c.govern(fn.reinstateMember(c.admin3))
    assert fn.activeAdminCount().call() == 3


def test_kyc_threshold_and_lifetime_changes(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    c.govern(fn.setKycHash(c.bank, h("kyc-2027")))
    assert member(c, c.bank)[3] == h("kyc-2027")
    c.expect_revert(
        lambda: c.govern(fn.setKycHash(c.bank, b"\0" * 32)), "EmptyField", field("kycHash")
    )
    c.expect_revert(
        lambda: c.govern(fn.setKycHash(c.outsider, h("k"))), "UnknownMember", c.outsider
    )
    c.expect_revert(lambda: c.govern(fn.setThreshold(1)), "InvalidThreshold", 1, 3)
    c.expect_revert(lambda: c.govern(fn.setThreshold(4)), "InvalidThreshold", 4, 3)
    c.govern(fn.setProposalLifetime(DAY))
    assert fn.proposalLifetime().call() == DAY
    c.expect_revert(lambda: c.govern(fn.setProposalLifetime(60)), "InvalidProposalLifetime", 60)
    c.expect_revert(
        lambda: c.govern(fn.setProposalLifetime(91 * DAY)), "InvalidProposalLifetime", 91 * DAY
    )


def test_require_role_reports_missing_role_and_has_role_is_any_of(consortium: Consortium) -> None:
    c = consortium
    fn = c.registry.functions
    fn.requireRole(c.core, CORE_ENTERPRISE).call()
    c.expect_revert(
        lambda: c.call(fn.requireRole(c.core, SUPPLIER | FINANCIER)), "MissingRole", c.core, 12
    )
    c.expect_revert(
        lambda: c.call(fn.requireRole(c.outsider, SUPPLIER)), "NotActiveMember", c.outsider
    )
    assert fn.hasRole(c.bank, SUPPLIER | FINANCIER).call()
    assert not fn.hasRole(c.auditor, SUPPLIER | FINANCIER).call()


def test_encode_call_matches_web3_encoding(consortium: Consortium) -> None:
    c = consortium
    call = c.registry.functions.setThreshold(3)
    assert encode_call(call).hex() == call._encode_transaction_data()[2:]
