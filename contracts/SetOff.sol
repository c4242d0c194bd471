// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {ISetOff} from "./interfaces/ISetOff.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title SetOff
/// @notice Multilateral set-off rounds by consent (see {ISetOff}). The receivable token is
/// bound to this contract once at deployment and lets only it reduce a piece ({net}); every
/// rule of a round lives here.
contract SetOff is ISetOff {
    /// @notice Most items one round may list; bounds every loop of a round (parties <= 2x).
    uint256 public constant MAX_ROUND_ITEMS = 32;
    /// @notice Latest deadline of a round, counted from its proposal.
    uint64 public constant MAX_ROUND_TTL = 30 days;
    /// @dev Who may propose: any business role or an operator; auditors only read.
    uint256 private constant PROPOSERS = Roles.ALL & ~Roles.AUDITOR;

    /// @dev One word per round.
    struct Round {
        address proposer;
        uint64 deadline;
        RoundStatus status;
        uint8 itemCount;
        uint8 partyCount;
        uint8 consents;
    }

    /// @dev Two words per item: what clears, and the piece as planned.
    struct Planned {
        address holder;
        uint64 tokenId;
        uint128 amount;
        uint128 value;
    }

    struct Party {
        Consent answer;
        uint8 index;
    }

    /// @dev A proposal being checked: its totals and each party's net position change.
    struct Plan {
        uint256 roundId;
        uint256 minimum;
        uint256 total;
        int256[] nets;
    }

    IConsortiumRegistry private immutable _registry;
    IReceivableToken private immutable _token;
    uint256 private _roundCount;
    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => mapping(uint256 index => Planned)) private _items;
    mapping(uint256 roundId => mapping(uint256 index => address)) private _partyAt;
    mapping(uint256 roundId => mapping(address party => Party)) private _parties;

    constructor(IConsortiumRegistry registry_, IReceivableToken token_) {
        _registry = registry_;
        _token = token_;
    }

    /// @inheritdoc ISetOff
    function propose(Item[] calldata items, uint64 deadline) external returns (uint256 roundId) {
        _registry.requireRole(msg.sender, PROPOSERS);
        uint256 n = items.length;
        if (n == 0 || n > MAX_ROUND_ITEMS) revert InvalidRoundSize(n, MAX_ROUND_ITEMS);
        uint64 latest = uint64(block.timestamp) + MAX_ROUND_TTL;
        if (deadline <= block.timestamp || deadline > latest) revert InvalidRoundDeadline(deadline, latest);

        roundId = ++_roundCount;
        Round storage round = _rounds[roundId];
        uint256 total = _planItems(roundId, round, items);
        round.proposer = msg.sender;
        round.deadline = deadline;
        round.status = RoundStatus.Proposed;
        round.itemCount = uint8(n);
        emit RoundProposed(roundId, msg.sender, deadline, n, total);
    }

    /// @inheritdoc ISetOff
    function consent(uint256 roundId) external {
        Round storage round = _open(roundId);
        Party storage party = _party(roundId);
        if (party.answer != Consent.Awaiting) revert AlreadyAnswered(roundId, msg.sender, party.answer);
        party.answer = Consent.Given;
        ++round.consents;
        emit RoundConsented(roundId, msg.sender);
    }

    /// @inheritdoc ISetOff
    function refuse(uint256 roundId, bytes32 reason) external {
        Round storage round = _open(roundId);
        Party storage party = _party(roundId);
        if (party.answer == Consent.Refused) revert AlreadyAnswered(roundId, msg.sender, party.answer);
        party.answer = Consent.Refused;
        round.status = RoundStatus.Refused;
        emit RoundRefused(roundId, msg.sender, reason);
    }

    /// @inheritdoc ISetOff
    function execute(uint256 roundId) external {
        _registry.requireRole(msg.sender, Roles.ALL);
        Round storage round = _open(roundId);
        uint256 parties = round.partyCount;
        if (round.consents != parties) revert ConsentsMissing(roundId, round.consents, parties);
        // A suspended member's pieces are frozen and its consent no longer binds.
        for (uint256 i = 0; i < parties; ++i) {
            _registry.requireRole(_partyAt[roundId][i], Roles.ALL);
        }
        round.status = RoundStatus.Executed;
        uint256 total;
        for (uint256 i = 0; i < round.itemCount; ++i) {
            Planned storage item = _items[roundId][i];
            uint256 tokenId = item.tokenId;
            IReceivableToken.PieceView memory piece = _token.getPiece(tokenId);
            if (
                piece.holder != item.holder || piece.value != item.value
                    || piece.state != IReceivableToken.PieceState.Active
            ) revert PieceChangedSincePlan(roundId, tokenId);
            _token.net(tokenId, item.amount);
            total += item.amount;
            emit PieceNetted(roundId, tokenId, piece.slot, piece.holder, item.amount, piece.value - item.amount);
        }
        emit RoundExecuted(roundId, msg.sender, total);
    }

    /// @inheritdoc ISetOff
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    /// @inheritdoc ISetOff
    function getRound(uint256 roundId) external view returns (RoundView memory) {
        Round storage round = _existing(roundId);
        return RoundView({
            roundId: roundId,
            proposer: round.proposer,
            deadline: round.deadline,
            status: _status(round),
            itemCount: round.itemCount,
            partyCount: round.partyCount,
            consentCount: round.consents
        });
    }

    /// @inheritdoc ISetOff
    function itemsOf(uint256 roundId) external view returns (PlannedItem[] memory items) {
        Round storage round = _existing(roundId);
        items = new PlannedItem[](round.itemCount);
        for (uint256 i = 0; i < items.length; ++i) {
            Planned storage item = _items[roundId][i];
            items[i] = PlannedItem({tokenId: item.tokenId, amount: item.amount, holder: item.holder, value: item.value});
        }
    }

    /// @inheritdoc ISetOff
    function partiesOf(uint256 roundId) external view returns (address[] memory parties, Consent[] memory answers) {
        Round storage round = _existing(roundId);
        parties = new address[](round.partyCount);
        answers = new Consent[](parties.length);
        for (uint256 i = 0; i < parties.length; ++i) {
            parties[i] = _partyAt[roundId][i];
            answers[i] = _parties[roundId][parties[i]].answer;
        }
    }

    // ---- internals ------------------------------------------------------------------------

    /// @dev Checks and records every item and that the amounts form a circulation; returns their total.
    function _planItems(uint256 roundId, Round storage round, Item[] calldata items) private returns (uint256) {
        // Net position change per party (index of first appearance): + debt shed, - value given up.
        Plan memory plan =
            Plan({roundId: roundId, minimum: _token.minPieceValue(), total: 0, nets: new int256[](2 * items.length)});
        uint256 previous;
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 tokenId = items[i].tokenId;
            if (tokenId <= previous) revert PiecesNotAscending(i, tokenId);
            previous = tokenId;
            _plan(round, plan, i, items[i]);
        }
        for (uint256 i = 0; i < round.partyCount; ++i) {
            if (plan.nets[i] != 0) revert RoundUnbalanced(_partyAt[roundId][i], plan.nets[i]);
        }
        return plan.total;
    }

    /// @dev Checks and records item `i`.
    function _plan(Round storage round, Plan memory plan, uint256 i, Item calldata item) private {
        uint256 tokenId = item.tokenId;
        uint256 amount = item.amount;
        IReceivableToken.PieceView memory piece = _token.getPiece(tokenId);
        if (piece.state != IReceivableToken.PieceState.Active) revert PieceNotNettable(tokenId, piece.state);
        if (amount == 0 || amount > piece.value) revert InvalidNetAmount(tokenId, amount, piece.value);
        uint256 remainder = piece.value - amount;
        if (remainder != 0 && remainder < plan.minimum) {
            revert IReceivableToken.ValueBelowMinimum(remainder, plan.minimum);
        }
        address debtor = _token.getReceivable(piece.slot).debtor;
        // Values fit 128 bits (face amounts do) and ids 64 (they are sequential).
        _items[plan.roundId][i] = Planned({
            holder: piece.holder,
            tokenId: uint64(tokenId),
            amount: uint128(amount),
            value: uint128(piece.value)
        });
        plan.nets[_partyIndex(plan.roundId, round, piece.holder)] -= int256(amount);
        plan.nets[_partyIndex(plan.roundId, round, debtor)] += int256(amount);
        plan.total += amount;
        emit ItemPlanned(plan.roundId, tokenId, piece.holder, debtor, amount);
    }

    /// @dev The party's index in the round, registering it (awaiting its answer) when new.
    function _partyIndex(uint256 roundId, Round storage round, address account) private returns (uint256) {
        Party storage party = _parties[roundId][account];
        if (party.answer == Consent.None) {
            uint8 index = round.partyCount++; // at most 2 * MAX_ROUND_ITEMS parties
            party.answer = Consent.Awaiting;
            party.index = index;
            _partyAt[roundId][index] = account;
        }
        return party.index;
    }

    /// @dev The caller, an active party of the round.
    function _party(uint256 roundId) private view returns (Party storage party) {
        _registry.requireRole(msg.sender, Roles.ALL);
        party = _parties[roundId][msg.sender];
        if (party.answer == Consent.None) revert NotRoundParty(roundId, msg.sender);
    }

    /// @dev A round that may still be answered or executed: proposed, deadline not passed.
    function _open(uint256 roundId) private view returns (Round storage round) {
        round = _existing(roundId);
        RoundStatus status = _status(round);
        if (status == RoundStatus.Lapsed) revert RoundLapsed(roundId, round.deadline);
        if (status != RoundStatus.Proposed) revert RoundClosed(roundId, status);
    }

    function _existing(uint256 roundId) private view returns (Round storage round) {
        round = _rounds[roundId];
        if (round.status == RoundStatus.None) revert UnknownRound(roundId);
    }

    function _status(Round storage round) private view returns (RoundStatus) {
        if (round.status == RoundStatus.Proposed && block.timestamp > round.deadline) return RoundStatus.Lapsed;
        return round.status;
    }
}
