// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IFinancing
/// @notice Financing of receivable pieces as offer and acceptance: a holder asks one or
/// several financiers, each named financier may offer explicit amounts, the holder accepts
/// one offer, and only the accepted financier can fund, only on the accepted terms. The piece
/// is locked while the request is open; funding assigns it to the financier (factoring) or
/// records a lien on it (pledge). Repayment, expiry and recourse are recorded; recourse
/// closes when the debtor pays.
interface IFinancing {
    enum Mode {
        Factoring,
        Pledge
    }

    enum RequestStatus {
        None,
        Requested,
        Accepted,
        Rejected,
        Withdrawn,
        Expired,
        Funded,
        Repaid,
        Settled,
        RecourseClaimed,
        RecourseRepaid
    }

    enum OfferStatus {
        None,
        Made,
        Declined
    }

    /// @notice Financing terms as amounts in the slot's currency, so any pricing convention
    /// (day count, discount, fees) is recorded without a contract change.
    /// `advance`: what the financier pays at funding, gross; `fees`: deducted from it (the
    /// requester receives advance - fees); `repayment`: what repays a pledge loan and is the
    /// lien's cap at settlement, or for recourse factoring what the seller owes on recourse;
    /// `fundBy`: the funding deadline.
    struct Terms {
        uint256 advance;
        uint256 repayment;
        uint256 fees;
        uint64 fundBy;
    }

    struct Request {
        uint256 id;
        uint256 tokenId;
        address requester;
        address[] financiers;
        address financier;
        Mode mode;
        bool recourse;
        RequestStatus status;
        uint64 createdAt;
        uint64 expiresAt;
        uint64 fundedAt;
        Terms asked;
        Terms agreed;
        bytes32 paymentRef;
    }

    struct Offer {
        Terms terms;
        OfferStatus status;
        uint64 madeAt;
    }

    /// @notice Thrown for a request id that does not exist.
    error UnknownRequest(uint256 requestId);
    /// @notice Thrown when a request is not in a status the action accepts.
    error InvalidRequestStatus(uint256 requestId, RequestStatus status);
    /// @notice Thrown when someone other than the requester acts for it.
    error NotRequester(uint256 requestId, address caller);
    /// @notice Thrown when someone other than a named (or the accepted) financier acts for it.
    error NotFinancier(uint256 requestId, address caller);
    /// @notice Thrown when a request is answered after it expired.
    error RequestExpired(uint256 requestId, uint64 expiresAt);
    /// @notice Thrown when a live request or an unfunded acceptance is expired too early.
    error RequestNotExpired(uint256 requestId, uint64 expiresAt);
    /// @notice Thrown when the advance is zero.
    error ZeroAdvance();
    /// @notice Thrown when the advance exceeds the piece's value.
    error AdvanceAboveValue(uint256 tokenId, uint256 value, uint256 amount);
    /// @notice Thrown when the fees exceed the advance they are deducted from.
    error FeesAboveAdvance(uint256 advance, uint256 fees);
    /// @notice Thrown when a funding deadline is not after now and before the due date.
    error InvalidFundingDeadline(uint64 fundBy, uint64 earliest, uint64 latest);
    /// @notice Thrown when an accepted offer is funded, or an offer accepted, after its deadline.
    error FundingDeadlinePassed(uint256 requestId, uint64 fundBy);
    /// @notice Thrown when a request names no financier or more than {MAX_FINANCIERS}.
    error InvalidFinancierCount(uint256 count, uint256 max);
    /// @notice Thrown when a request names a financier twice.
    error DuplicateFinancier(address financier);
    /// @notice Thrown when a named financier declines twice.
    error AlreadyDeclined(uint256 requestId, address financier);
    /// @notice Thrown when the requester accepts a financier that made no standing offer.
    error NoOffer(uint256 requestId, address financier);
    /// @notice Thrown when the terms the requester accepts are not the financier's standing offer.
    error OfferMismatch(uint256 requestId, address financier);
    /// @notice Thrown when an action needs the other financing mode.
    error WrongMode(uint256 requestId, Mode mode);
    /// @notice Thrown when a funding or repayment carries no payment reference.
    error MissingPaymentRef();
    /// @notice Thrown when a holder names itself as financier.
    error SelfFinancing(address account);
    /// @notice Thrown when financing is asked for a piece at or past its due date.
    error PieceDue(uint256 tokenId, uint64 dueDate);
    /// @notice Thrown when recourse is claimed on a request that has none.
    error NoRecourse(uint256 requestId);
    /// @notice Thrown when anyone but the receivable token calls its hook.
    error OnlyToken(address caller);
    /// @notice Thrown when the request lifetime is outside [1 hour, 90 days].
    error InvalidRequestTtl(uint64 ttl);

    /// @notice Emitted when a holder asks financiers for an advance; the piece is locked.
    event FinancingRequested(
        uint256 indexed requestId,
        uint256 indexed tokenId,
        address indexed requester,
        address[] financiers,
        Terms asked,
        Mode mode,
        bool recourse,
        uint64 expiresAt
    );
    /// @notice Emitted when a named financier makes (or replaces) its offer.
    event FinancingOffered(uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, Terms terms);
    /// @notice Emitted when the requester accepts one offer; the others lapse.
    event FinancingAccepted(uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, Terms terms);
    /// @notice Emitted when the requester withdraws an unaccepted request; the piece is unlocked.
    event FinancingWithdrawn(uint256 indexed requestId, uint256 indexed tokenId);
    /// @notice Emitted when a named financier declines; `closed` when every named financier
    /// has, and the piece is unlocked.
    event FinancingRejected(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, bytes32 reason, bool closed
    );
    /// @notice Emitted when an unaccepted request or an unfunded acceptance lapses; the piece is unlocked.
    event FinancingExpired(uint256 indexed requestId, uint256 indexed tokenId);
    /// @notice Emitted when the accepted financier funds: factoring assigns the piece, pledge
    /// liens it; the requester received `advance - fees`.
    event FinancingFunded(
        uint256 indexed requestId,
        uint256 indexed tokenId,
        address indexed financier,
        uint256 advance,
        uint256 fees,
        Mode mode,
        bytes32 paymentRef,
        bool paidOnChain
    );
    /// @notice Emitted when a pledge loan is repaid; the lien is released and the piece unlocked.
    event LoanRepaid(
        uint256 indexed requestId, uint256 indexed tokenId, address indexed payer, uint256 amount, bytes32 paymentRef, bool paidOnChain
    );
    /// @notice Emitted when the debtor's settlement of a financed piece pays the financier
    /// `amount` and closes the request: the lien, or the factoring with any open recourse claim.
    event FinancingSettled(uint256 indexed requestId, uint256 indexed tokenId, address indexed financier, uint256 amount);
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

    /// @notice Asks the named financiers for an advance on a piece at the `asked` terms.
    /// @dev Caller: the piece's holder, an active SUPPLIER or FINANCIER; the piece `Active`
    /// and before its due date; 1 to {MAX_FINANCIERS} distinct active FINANCIERs, none the
    /// caller or the slot's debtor; `asked` valid as an offer. The piece becomes `Financing`.
    /// The request lapses after the request lifetime or at the due date, whichever is first.
    /// Emits {FinancingRequested}.
    function request(uint256 tokenId, address[] calldata financiers, Terms calldata asked, Mode mode, bool recourse)
        external
        returns (uint256 requestId);

    /// @notice A named financier offers explicit terms, replacing any earlier offer of its own.
    /// A sole named financier offering exactly the asked terms is accepted at once.
    /// @dev Caller: a named financier, active FINANCIER; the request `Requested` and not
    /// expired. Emits {FinancingOffered} (and {FinancingAccepted}).
    function offer(uint256 requestId, Terms calldata terms) external;

    /// @notice The requester accepts `financier`'s standing offer, which must equal `terms`
    /// (so a replaced offer cannot be accepted unseen); the other offers lapse.
    /// @dev Caller: the requester, active SUPPLIER or FINANCIER; request `Requested`, not
    /// expired; the offer's `fundBy` not passed. Emits {FinancingAccepted}.
    function acceptOffer(uint256 requestId, address financier, Terms calldata terms) external;

    /// @notice The requester withdraws a request it has not accepted an offer for.
    /// Emits {FinancingWithdrawn}.
    function withdraw(uint256 requestId) external;

    /// @notice A named financier declines with a reason code; its offer, if any, is withdrawn.
    /// The request closes when every named financier declined. Emits {FinancingRejected}.
    function reject(uint256 requestId, bytes32 reason) external;

    /// @notice The accepted financier pays the advance by the agreed `fundBy`: with a deposit
    /// token, `advance - fees` moves from financier to requester in this transaction;
    /// `paymentRef` records the payment. Factoring assigns the piece to the financier; pledge
    /// keeps it with the holder under a lien. The piece becomes `Financed`. Emits {FinancingFunded}.
    function fund(uint256 requestId, bytes32 paymentRef) external;

    /// @notice Repayment of a pledge loan (the agreed `repayment`). The financier confirms an
    /// off-chain repayment; with a deposit token the borrower may pay on-chain itself (to
    /// escrow if the financier is suspended). Releases the lien. Emits {LoanRepaid}.
    function repay(uint256 requestId, bytes32 paymentRef) external;

    /// @notice An active member lapses a request: unaccepted past its expiry, or accepted and
    /// unfunded past the agreed `fundBy`; the piece is unlocked. Emits {FinancingExpired}.
    function expire(uint256 requestId) external;

    /// @notice The financier of a recourse factoring claims against the seller once the piece
    /// has defaulted. Emits {RecourseClaimed}.
    function claimRecourse(uint256 requestId) external;

    /// @notice Repayment of a recourse claim (the agreed `repayment`): confirmed by the
    /// financier, or paid on-chain by the seller with a deposit token. The piece returns to
    /// the seller, who must be an active SUPPLIER or FINANCIER. Refused once the debtor has
    /// paid (the claim closed with {FinancingSettled}). Emits {RecourseRepaid}.
    function repayRecourse(uint256 requestId, bytes32 paymentRef) external;

    /// @notice Called by the receivable token when a piece's settlement is final (or the lien
    /// share of it): closes the funded request of the piece, if any.
    function onSettled(uint256 tokenId, uint256 paidToFinancier) external;

    /// @notice Sets how long a request stays open at most. Governance only.
    function setRequestTtl(uint64 ttl) external;

    /// @notice The full record of a request.
    function getRequest(uint256 requestId) external view returns (Request memory);

    /// @notice A named financier's offer on a request.
    function getOffer(uint256 requestId, address financier) external view returns (Offer memory);

    /// @notice Number of requests ever made; ids run from 1 to this.
    function requestCount() external view returns (uint256);

    /// @notice The open (requested or accepted) request of a piece, or 0.
    function openRequestOf(uint256 tokenId) external view returns (uint256);

    /// @notice The funded request of a piece (lien or factoring not yet settled), or 0.
    function fundedRequestOf(uint256 tokenId) external view returns (uint256);

    /// @notice The pledge lien on a piece: its request, holder and the amount owed, or zeros.
    function lienOf(uint256 tokenId) external view returns (uint256 requestId, address financier, uint256 owed);

    /// @notice The agreed repayment: what the borrower (pledge) or seller (recourse) owes.
    function amountOwed(uint256 requestId) external view returns (uint256);

    /// @notice Requests this module must still act on: open, liens, and recourse factoring
    /// not yet closed. The token refuses to replace the module while this is not zero.
    function openCount() external view returns (uint256);

    /// @notice How long a request stays open at most, in seconds.
    function requestTtl() external view returns (uint64);
}
