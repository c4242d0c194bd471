// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IFinancing
/// @notice Financing of receivable pieces: a holder asks a named financier for an advance;
/// the piece is locked while the request is open; funding assigns it to the financier
/// (factoring) or records a lien on it (pledge). Repayment, expiry and recourse are recorded.
interface IFinancing {
    enum Mode {
        Factoring,
        Pledge
    }

    enum RequestStatus {
        None,
        Requested,
        Approved,
        Rejected,
        Withdrawn,
        Expired,
        Funded,
        Repaid,
        Settled,
        RecourseClaimed,
        RecourseRepaid
    }

    struct Request {
        uint256 id;
        uint256 tokenId;
        address requester;
        address financier;
        uint256 amount;
        uint16 rateBps;
        Mode mode;
        bool recourse;
        RequestStatus status;
        uint64 createdAt;
        uint64 expiresAt;
        uint64 fundedAt;
        bytes32 paymentRef;
    }

    /// @notice Thrown for a request id that does not exist.
    error UnknownRequest(uint256 requestId);
    /// @notice Thrown when a request is not in a status the action accepts.
    error InvalidRequestStatus(uint256 requestId, RequestStatus status);
    /// @notice Thrown when someone other than the requester acts for it.
    error NotRequester(uint256 requestId, address caller);
    /// @notice Thrown when someone other than the named financier acts for it.
    error NotFinancier(uint256 requestId, address caller);
    /// @notice Thrown when a request is answered or funded after it expired.
    error RequestExpired(uint256 requestId, uint64 expiresAt);
    /// @notice Thrown when a live request is expired too early.
    error RequestNotExpired(uint256 requestId, uint64 expiresAt);
    /// @notice Thrown when the advance is zero.
    error ZeroAdvance();
    /// @notice Thrown when the advance exceeds the piece's value.
    error AdvanceAboveValue(uint256 tokenId, uint256 value, uint256 amount);
    /// @notice Thrown when an approval offers more than was asked.
    error AdvanceAboveRequest(uint256 requestId, uint256 requested, uint256 amount);
    /// @notice Thrown when an action needs the other financing mode.
    error WrongMode(uint256 requestId, Mode mode);
    /// @notice Thrown when a funding or repayment carries no payment reference.
    error MissingPaymentRef();
    /// @notice Thrown when a rate or discount is above 100% (10,000 basis points).
    error InvalidRate(uint256 rateBps);
    /// @notice Thrown when a holder names itself as financier.
    error SelfFinancing(address account);
    /// @notice Thrown when financing is asked for a piece at or past its due date.
    error PieceDue(uint256 tokenId, uint64 dueDate);
    /// @notice Thrown when recourse is claimed on a request that has none.
    error NoRecourse(uint256 requestId);
    /// @notice Thrown when the receivable token calls back for a piece with no lien.
    error OnlyToken(address caller);
    /// @notice Thrown when the request lifetime is outside [1 hour, 90 days].
    error InvalidRequestTtl(uint64 ttl);

    /// @notice Emitted when a holder asks a financier for an advance; the piece is locked.
    event FinancingRequested(
        uint256 indexed requestId,
        uint256 indexed tokenId,
        address indexed requester,
        address financier,
        uint256 amount,
        uint16 rateBps,
        Mode mode,
        bool recourse,
        uint64 expiresAt
    );
    /// @notice Emitted when the requester withdraws an open request; the piece is unlocked.
    event FinancingWithdrawn(uint256 indexed requestId, uint256 indexed tokenId);
    /// @notice Emitted when the financier refuses a request; the piece is unlocked.
    event FinancingRejected(uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, bytes32 reason);
    /// @notice Emitted when the financier approves with its terms.
    event FinancingApproved(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, uint256 amount, uint16 rateBps
    );
    /// @notice Emitted when an unanswered or unfunded request lapses; the piece is unlocked.
    event FinancingExpired(uint256 indexed requestId, uint256 indexed tokenId);
    /// @notice Emitted when the advance is paid: factoring assigns the piece, pledge liens it.
    event FinancingFunded(
        uint256 indexed requestId,
        uint256 indexed tokenId,
        address indexed financier,
        uint256 amount,
        Mode mode,
        bytes32 paymentRef,
        bool paidOnChain
    );
    /// @notice Emitted when a pledge loan is repaid; the lien is released and the piece unlocked.
    event LoanRepaid(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed payer, uint256 amount, bytes32 paymentRef, bool paidOnChain
    );
    /// @notice Emitted when settlement of a pledged piece pays its lien holder and closes the lien.
    event LienSettled(uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, uint256 amount);
    /// @notice Emitted when a recourse financier claims against the seller of a defaulted piece.
    event RecourseClaimed(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed seller, address financier, uint256 amount
    );
    /// @notice Emitted when the seller repays a recourse claim; the piece returns to the seller.
    event RecourseRepaid(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed seller, uint256 amount, bytes32 paymentRef, bool paidOnChain
    );
    /// @notice Emitted when the request lifetime changes.
    event RequestTtlChanged(uint64 oldTtl, uint64 newTtl);

    /// @notice Asks `financier` for an advance of `amount` on a piece at `rateBps`.
    /// @dev Caller: the piece's holder, an active SUPPLIER or FINANCIER; the piece `Active`
    /// and before its due date; `financier` an active FINANCIER. The piece becomes `Financing`.
    /// The request lapses after the request lifetime or at the due date, whichever is first.
    /// Emits {FinancingRequested}.
    function request(uint256 tokenId, address financier, uint256 amount, uint16 rateBps, Mode mode, bool recourse)
        external
        returns (uint256 requestId);

    /// @notice The requester withdraws a request not yet funded. Emits {FinancingWithdrawn}.
    function withdraw(uint256 requestId) external;

    /// @notice The financier refuses a request with a reason code. Emits {FinancingRejected}.
    function reject(uint256 requestId, bytes32 reason) external;

    /// @notice The financier approves, fixing the advance (at most what was asked) and rate.
    /// Emits {FinancingApproved}.
    function approve(uint256 requestId, uint256 amount, uint16 rateBps) external;

    /// @notice The financier pays the advance: with a deposit token configured, the advance
    /// moves from financier to requester in this transaction; otherwise `paymentRef` records
    /// the off-chain payment. Factoring assigns the piece to the financier; pledge keeps it
    /// with the holder under a lien. The piece becomes `Financed`. Emits {FinancingFunded}.
    function fund(uint256 requestId, bytes32 paymentRef) external;

    /// @notice Repayment of a pledge loan (advance plus rate). The financier confirms an
    /// off-chain repayment; with a deposit token the borrower may pay on-chain itself.
    /// Releases the lien; the piece is `Active` again. Emits {LoanRepaid}.
    function repay(uint256 requestId, bytes32 paymentRef) external;

    /// @notice Anyone lapses a request past its expiry; the piece is unlocked. Emits {FinancingExpired}.
    function expire(uint256 requestId) external;

    /// @notice The financier of a recourse factoring claims against the seller once the piece
    /// has defaulted. Emits {RecourseClaimed}.
    function claimRecourse(uint256 requestId) external;

    /// @notice Repayment of a recourse claim: confirmed by the financier, or paid on-chain by
    /// the seller with a deposit token. The piece returns to the seller. Emits {RecourseRepaid}.
    function repayRecourse(uint256 requestId, bytes32 paymentRef) external;

    /// @notice Called by the receivable token when it settles a piece under a lien.
    function onSettled(uint256 tokenId, uint256 paidToLienHolder) external;

    /// @notice Sets how long a request stays open at most. Governance only.
    function setRequestTtl(uint64 ttl) external;

    /// @notice The full record of a request.
    function getRequest(uint256 requestId) external view returns (Request memory);

    /// @notice Number of requests ever made; ids run from 1 to this.
    function requestCount() external view returns (uint256);

    /// @notice The open (requested or approved) request of a piece, or 0.
    function openRequestOf(uint256 tokenId) external view returns (uint256);

    /// @notice The pledge lien on a piece: its request, holder and the amount owed, or zeros.
    function lienOf(uint256 tokenId) external view returns (uint256 requestId, address financier, uint256 owed);

    /// @notice Advance plus rate: what the borrower (pledge) or seller (recourse) owes.
    function amountOwed(uint256 requestId) external view returns (uint256);

    /// @notice How long a request stays open at most, in seconds.
    function requestTtl() external view returns (uint64);
}
