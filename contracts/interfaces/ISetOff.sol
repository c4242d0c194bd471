// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReceivableToken} from "./IReceivableToken.sol";

/// @title ISetOff
/// @notice Multilateral set-off (三角债清理) by consent. A round lists pieces and how much of
/// each clears. Every piece is an obligation from its slot's debtor to its holder; the
/// cleared amounts must form a circulation (every party gives up as much receivable as it
/// sheds debt), so a round moves no member's net position. Every affected holder and debtor
/// consents on-chain before the round's deadline; then anyone active executes it, all pieces
/// reducing or none, each reduction recorded as `netted` on its slot. A piece that changed
/// since the plan (holder, value or state) stops the execution; after the deadline the
/// round lapses.
interface ISetOff {
    /// @notice Lifecycle of a round. `Lapsed` is not stored: a `Proposed` round whose
    /// deadline passed reads as `Lapsed`.
    enum RoundStatus {
        None,
        Proposed,
        Refused,
        Executed,
        Lapsed
    }

    /// @notice A party's answer to a round.
    enum Consent {
        None,
        Awaiting,
        Given,
        Refused
    }

    /// @notice An item of a proposal: clear `amount` of piece `tokenId`.
    struct Item {
        uint256 tokenId;
        uint256 amount;
    }

    /// @notice An item as planned: the piece's holder and value when the round was proposed.
    struct PlannedItem {
        uint256 tokenId;
        uint256 amount;
        address holder;
        uint256 value;
    }

    /// @notice A round's record; `status` reads `Lapsed` once the deadline passed unexecuted.
    struct RoundView {
        uint256 roundId;
        address proposer;
        uint64 deadline;
        RoundStatus status;
        uint256 itemCount;
        uint256 partyCount;
        uint256 consentCount;
    }

    /// @notice Thrown for a round that does not exist.
    error UnknownRound(uint256 roundId);
    /// @notice Thrown when a proposal lists no items or more than {MAX_ROUND_ITEMS}.
    error InvalidRoundSize(uint256 size, uint256 max);
    /// @notice Thrown when a deadline is not in the future or more than {MAX_ROUND_TTL} away.
    error InvalidRoundDeadline(uint64 deadline, uint64 latest);
    /// @notice Thrown when items are not in strictly ascending token id order (a piece
    /// listed twice is out of order).
    error PiecesNotAscending(uint256 index, uint256 tokenId);
    /// @notice Thrown when an amount is zero or above the piece's value.
    error InvalidNetAmount(uint256 tokenId, uint256 amount, uint256 value);
    /// @notice Thrown when a listed piece is not `Active` (accepted and unencumbered).
    error PieceNotNettable(uint256 tokenId, IReceivableToken.PieceState state);
    /// @notice Thrown when the amounts do not form a circulation: `party` would give up
    /// receivables worth `net` less (negative: more) than the debt it sheds.
    error RoundUnbalanced(address party, int256 net);
    /// @notice Thrown when someone who is neither a holder nor a debtor of the round answers it.
    error NotRoundParty(uint256 roundId, address caller);
    /// @notice Thrown when a party consents twice, or answers after refusing.
    error AlreadyAnswered(uint256 roundId, address party, Consent answer);
    /// @notice Thrown when a round is answered or executed after its deadline.
    error RoundLapsed(uint256 roundId, uint64 deadline);
    /// @notice Thrown when a refused or executed round is answered or executed.
    error RoundClosed(uint256 roundId, RoundStatus status);
    /// @notice Thrown when a round is executed before every party consented.
    error ConsentsMissing(uint256 roundId, uint256 consents, uint256 parties);
    /// @notice Thrown when a piece's holder, value or state changed since the round was proposed.
    error PieceChangedSincePlan(uint256 roundId, uint256 tokenId);

    /// @notice Emitted when a round is proposed, after one {ItemPlanned} per item.
    event RoundProposed(
        uint256 indexed roundId, address indexed proposer, uint64 deadline, uint256 itemCount, uint256 total
    );
    /// @notice Emitted per item of a proposed round: `amount` of the piece, owed by `debtor`
    /// to `holder`, is to clear.
    event ItemPlanned(
        uint256 indexed roundId, uint256 indexed tokenId, address indexed holder, address debtor, uint256 amount
    );
    /// @notice Emitted when a party consents to a round.
    event RoundConsented(uint256 indexed roundId, address indexed party);
    /// @notice Emitted when a party refuses a round; the round can no longer execute.
    event RoundRefused(uint256 indexed roundId, address indexed party, bytes32 reason);
    /// @notice Emitted per piece when a round executes: `amount` cleared, `remaining` left.
    event PieceNetted(
        uint256 indexed roundId, uint256 indexed tokenId, uint256 indexed slot, address holder, uint256 amount, uint256 remaining
    );
    /// @notice Emitted when a round executed: every piece reduced.
    event RoundExecuted(uint256 indexed roundId, address indexed executor, uint256 total);

    /// @notice Proposes a round clearing `amount` of each piece by `deadline`. Each piece
    /// must be `Active` (accepted, not pending, locked, financed, awaiting confirmation,
    /// overdue), `0 < amount <= value`, what remains zero or at least the token's minimum
    /// piece value, and the amounts a circulation. Holders and values are snapshotted.
    /// @dev Caller: an active member with any role but AUDITOR (an operator or a trader);
    /// proposing consents to nothing. Items in ascending token id order, at most
    /// {MAX_ROUND_ITEMS}. Emits {RoundProposed} and {ItemPlanned} per item.
    function propose(Item[] calldata items, uint64 deadline) external returns (uint256 roundId);

    /// @notice A party (a holder or debtor of an item) consents to the round.
    /// @dev Caller: a party, active, by the deadline. Emits {RoundConsented}.
    function consent(uint256 roundId) external;

    /// @notice A party refuses the round, also after consenting; the round is `Refused`.
    /// @dev Caller: a party, active, by the deadline. Emits {RoundRefused}.
    function refuse(uint256 roundId, bytes32 reason) external;

    /// @notice Executes a round every party consented to, by its deadline: every piece
    /// reduces by its amount, or none (a changed piece reverts with {PieceChangedSincePlan}).
    /// @dev Caller: any active member; every party still active. Emits {PieceNetted} per
    /// item and {RoundExecuted}.
    function execute(uint256 roundId) external;

    /// @notice The number of rounds proposed; round ids run from 1 to this.
    function roundCount() external view returns (uint256);

    /// @notice A round's record.
    function getRound(uint256 roundId) external view returns (RoundView memory);

    /// @notice A round's items as planned.
    function itemsOf(uint256 roundId) external view returns (PlannedItem[] memory);

    /// @notice A round's parties (holders and debtors, in order of first appearance) and their answers.
    function partiesOf(uint256 roundId) external view returns (address[] memory parties, Consent[] memory answers);
}
