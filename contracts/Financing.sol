// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDepositToken} from "./interfaces/IDepositToken.sol";
import {IFinancing} from "./interfaces/IFinancing.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title Financing
/// @notice Turns a piece of a confirmed receivable into cash by offer and acceptance: the
/// holder asks one or several financiers, each may offer explicit amounts, the holder accepts
/// one, and only that financier funds, on those terms, by its deadline. The piece is locked
/// until the request ends, and funding either assigns the piece to the financier (factoring)
/// or liens it (pledge). A locked or financed piece can be neither moved nor financed again,
/// because the receivable token only moves `Active` pieces.
contract Financing is IFinancing {
    uint64 public constant MIN_REQUEST_TTL = 1 hours;
    uint64 public constant MAX_REQUEST_TTL = 90 days;
    /// @notice Most financiers one request may name; bounds the request's gas.
    uint256 public constant MAX_FINANCIERS = 5;

    /// @dev Terms in two storage words.
    struct PackedTerms {
        uint128 advance;
        uint128 repayment;
        uint128 fees;
        uint64 fundBy;
    }

    struct Stored {
        uint64 tokenId;
        address requester;
        Mode mode;
        bool recourse;
        RequestStatus status;
        address financier;
        uint64 createdAt;
        uint64 expiresAt;
        uint64 fundedAt;
        uint8 declines;
        PackedTerms asked;
        PackedTerms agreed;
        bytes32 paymentRef;
        address[] financiers;
    }

    struct StoredOffer {
        PackedTerms terms;
        OfferStatus status;
        uint64 madeAt;
    }

    IConsortiumRegistry private immutable _registry;
    IReceivableToken private immutable _token;
    uint64 private _requestTtl;
    uint256 private _requestCount;
    uint256 private _openCount;
    mapping(uint256 requestId => Stored) private _requests;
    mapping(uint256 requestId => mapping(address financier => StoredOffer)) private _offers;
    mapping(uint256 requestId => mapping(address financier => bool)) private _named;
    mapping(uint256 tokenId => uint256 requestId) private _openRequest;
    mapping(uint256 tokenId => uint256 requestId) private _funded;

    constructor(IConsortiumRegistry registry_, IReceivableToken token_, uint64 requestTtl_) {
        _registry = registry_;
        _token = token_;
        _setRequestTtl(requestTtl_);
    }

    // ---- the holder -----------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function request(uint256 tokenId, address[] calldata financiers, Terms calldata asked, Mode mode, bool recourse)
        external
        returns (uint256 requestId)
    {
        IReceivableToken.PieceView memory piece = _token.getPiece(tokenId);
        if (piece.holder != msg.sender) revert IReceivableToken.NotHolder(tokenId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        if (piece.state != IReceivableToken.PieceState.Active) {
            revert IReceivableToken.InvalidPieceState(tokenId, piece.state);
        }
        IReceivableToken.Receivable memory root = _token.getReceivable(piece.slot);
        if (block.timestamp >= root.dueDate) revert PieceDue(tokenId, root.dueDate);
        if (financiers.length == 0 || financiers.length > MAX_FINANCIERS) {
            revert InvalidFinancierCount(financiers.length, MAX_FINANCIERS);
        }
        PackedTerms memory terms = _checkTerms(tokenId, piece.value, root.dueDate, asked);

        requestId = ++_requestCount;
        Stored storage r = _requests[requestId];
        for (uint256 i = 0; i < financiers.length; ++i) {
            address financier = financiers[i];
            if (financier == msg.sender) revert SelfFinancing(msg.sender);
            if (financier == root.debtor) revert IReceivableToken.DebtorCannotHold(piece.slot, financier);
            _registry.requireRole(financier, Roles.FINANCIER);
            if (_named[requestId][financier]) revert DuplicateFinancier(financier);
            _named[requestId][financier] = true;
        }
        uint64 expiresAt = uint64(block.timestamp) + _requestTtl;
        if (expiresAt > root.dueDate) expiresAt = root.dueDate;
        r.tokenId = SafeCast.toUint64(tokenId);
        r.requester = msg.sender;
        r.mode = mode;
        r.recourse = recourse;
        r.status = RequestStatus.Requested;
        r.createdAt = uint64(block.timestamp);
        r.expiresAt = expiresAt;
        r.asked = terms;
        r.financiers = financiers;
        ++_openCount;
        _openRequest[tokenId] = requestId;
        _token.setPieceState(tokenId, IReceivableToken.PieceState.Financing);
        emit FinancingRequested(requestId, tokenId, msg.sender, financiers, asked, mode, recourse, expiresAt);
    }

    /// @inheritdoc IFinancing
    function acceptOffer(uint256 requestId, address financier, Terms calldata terms) external {
        Stored storage r = _asRequester(requestId);
        _requireStatus(requestId, r, RequestStatus.Requested);
        _requireNotExpired(requestId, r);
        StoredOffer storage o = _offers[requestId][financier];
        if (o.status != OfferStatus.Made) revert NoOffer(requestId, financier);
        PackedTerms memory offered = o.terms;
        if (!_equal(offered, terms)) revert OfferMismatch(requestId, financier);
        if (block.timestamp > offered.fundBy) revert FundingDeadlinePassed(requestId, offered.fundBy);
        _accept(requestId, r, financier, offered);
    }

    /// @inheritdoc IFinancing
    function withdraw(uint256 requestId) external {
        Stored storage r = _asRequester(requestId);
        _requireStatus(requestId, r, RequestStatus.Requested);
        _close(r, RequestStatus.Withdrawn);
        emit FinancingWithdrawn(requestId, r.tokenId);
    }

    /// @inheritdoc IFinancing
    function expire(uint256 requestId) external {
        _registry.requireRole(msg.sender, Roles.ALL);
        Stored storage r = _existing(requestId);
        uint64 deadline;
        if (r.status == RequestStatus.Requested) deadline = r.expiresAt;
        else if (r.status == RequestStatus.Accepted) deadline = r.agreed.fundBy;
        else revert InvalidRequestStatus(requestId, r.status);
        if (block.timestamp <= deadline) revert RequestNotExpired(requestId, deadline);
        _close(r, RequestStatus.Expired);
        emit FinancingExpired(requestId, r.tokenId);
    }

    // ---- the financiers -------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function offer(uint256 requestId, Terms calldata terms) external {
        Stored storage r = _asNamed(requestId);
        _requireStatus(requestId, r, RequestStatus.Requested);
        _requireNotExpired(requestId, r);
        uint256 tokenId = r.tokenId;
        IReceivableToken.PieceView memory piece = _token.getPiece(tokenId);
        uint64 dueDate = _token.getReceivable(piece.slot).dueDate;
        PackedTerms memory packed = _checkTerms(tokenId, piece.value, dueDate, terms);
        if (_offers[requestId][msg.sender].status == OfferStatus.Declined) {
            revert AlreadyDeclined(requestId, msg.sender); // a decline is final
        }
        _offers[requestId][msg.sender] =
            StoredOffer({terms: packed, status: OfferStatus.Made, madeAt: uint64(block.timestamp)});
        emit FinancingOffered(requestId, tokenId, msg.sender, terms);
        // The requester consented to its own asked terms when there is nobody else to compare.
        if (r.financiers.length == 1 && _equal(r.asked, terms)) _accept(requestId, r, msg.sender, packed);
    }

    /// @inheritdoc IFinancing
    function reject(uint256 requestId, bytes32 reason) external {
        Stored storage r = _asNamed(requestId);
        _requireStatus(requestId, r, RequestStatus.Requested);
        StoredOffer storage o = _offers[requestId][msg.sender];
        if (o.status == OfferStatus.Declined) revert AlreadyDeclined(requestId, msg.sender);
        o.status = OfferStatus.Declined;
        bool closed = ++r.declines == r.financiers.length;
        if (closed) _close(r, RequestStatus.Rejected);
        emit FinancingRejected(requestId, r.tokenId, msg.sender, reason, closed);
    }

    /// @inheritdoc IFinancing
    function fund(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _asAccepted(requestId);
        _requireStatus(requestId, r, RequestStatus.Accepted);
        if (block.timestamp > r.agreed.fundBy) revert FundingDeadlinePassed(requestId, r.agreed.fundBy);
        if (paymentRef == bytes32(0)) revert MissingPaymentRef();
        address requester = r.requester;
        _registry.requireRole(requester, Roles.HOLDERS); // a suspended seller cannot be paid
        uint256 tokenId = r.tokenId;

        r.status = RequestStatus.Funded;
        r.fundedAt = uint64(block.timestamp);
        r.paymentRef = paymentRef;
        delete _openRequest[tokenId];
        _funded[tokenId] = requestId;
        if (r.mode == Mode.Factoring) {
            if (!r.recourse) --_openCount; // nothing left for this module to act on
            _token.assign(tokenId, msg.sender);
        }
        _token.setPieceState(tokenId, IReceivableToken.PieceState.Financed);
        address cash = _token.depositToken();
        uint256 net = uint256(r.agreed.advance) - r.agreed.fees;
        emit FinancingFunded(
            requestId, tokenId, msg.sender, r.agreed.advance, r.agreed.fees, r.mode, paymentRef, cash != address(0)
        );
        if (cash != address(0) && net != 0) IDepositToken(cash).pay(msg.sender, requester, net);
    }

    /// @inheritdoc IFinancing
    function repay(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _existing(requestId);
        _requireStatus(requestId, r, RequestStatus.Funded);
        if (r.mode != Mode.Pledge) revert WrongMode(requestId, r.mode);
        uint256 tokenId = r.tokenId;
        IReceivableToken.PieceState state = _token.getPiece(tokenId).state;
        // A payment awaiting confirmation already counts on the lien; wait for its outcome.
        if (state == IReceivableToken.PieceState.AwaitingConfirmation) {
            revert IReceivableToken.InvalidPieceState(tokenId, state);
        }
        bool onChain = _payer(requestId, r, paymentRef);
        r.status = RequestStatus.Repaid;
        --_openCount;
        delete _funded[tokenId];
        // An overdue or defaulted piece keeps that state; only a current one is freed.
        if (state == IReceivableToken.PieceState.Financed) {
            _token.setPieceState(tokenId, IReceivableToken.PieceState.Active);
        }
        uint256 owed = r.agreed.repayment;
        emit LoanRepaid(requestId, tokenId, msg.sender, owed, paymentRef, onChain);
        if (onChain && owed != 0) IDepositToken(_token.depositToken()).pay(msg.sender, r.financier, owed);
    }

    /// @inheritdoc IFinancing
    function claimRecourse(uint256 requestId) external {
        Stored storage r = _asAccepted(requestId);
        _requireStatus(requestId, r, RequestStatus.Funded);
        if (r.mode != Mode.Factoring || !r.recourse) revert NoRecourse(requestId);
        IReceivableToken.PieceState state = _token.getPiece(r.tokenId).state;
        if (state != IReceivableToken.PieceState.Defaulted) revert IReceivableToken.InvalidPieceState(r.tokenId, state);
        r.status = RequestStatus.RecourseClaimed;
        emit RecourseClaimed(requestId, r.tokenId, r.requester, msg.sender, r.agreed.repayment);
    }

    /// @inheritdoc IFinancing
    function repayRecourse(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _existing(requestId);
        _requireStatus(requestId, r, RequestStatus.RecourseClaimed);
        uint256 tokenId = r.tokenId;
        IReceivableToken.PieceState state = _token.getPiece(tokenId).state;
        if (state != IReceivableToken.PieceState.Defaulted) revert IReceivableToken.InvalidPieceState(tokenId, state);
        bool onChain = _payer(requestId, r, paymentRef);
        _registry.requireRole(r.requester, Roles.HOLDERS); // the piece goes back to the seller
        r.status = RequestStatus.RecourseRepaid;
        --_openCount;
        delete _funded[tokenId];
        // The seller bought its claim back: the debtor's late payment is now owed to it.
        _token.assign(tokenId, r.requester);
        uint256 owed = r.agreed.repayment;
        emit RecourseRepaid(requestId, tokenId, r.requester, owed, paymentRef, onChain);
        if (onChain && owed != 0) IDepositToken(_token.depositToken()).pay(msg.sender, r.financier, owed);
    }

    // ---- the receivable token -------------------------------------------------------------

    /// @inheritdoc IFinancing
    function onSettled(uint256 tokenId, uint256 paidToFinancier) external {
        if (msg.sender != address(_token)) revert OnlyToken(msg.sender);
        uint256 requestId = _funded[tokenId];
        if (requestId == 0) return; // not financed here (or by a module since replaced)
        Stored storage r = _requests[requestId];
        if (r.mode == Mode.Pledge || r.recourse) --_openCount;
        r.status = RequestStatus.Settled;
        delete _funded[tokenId];
        emit FinancingSettled(requestId, tokenId, r.financier, paidToFinancier);
    }

    // ---- governance -----------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function setRequestTtl(uint64 ttl) external {
        if (msg.sender != address(_registry)) revert IConsortiumRegistry.OnlyGovernance(msg.sender);
        _setRequestTtl(ttl);
    }

    // ---- views ----------------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function getRequest(uint256 requestId) external view returns (Request memory) {
        Stored storage r = _existing(requestId);
        return Request({
            id: requestId,
            tokenId: r.tokenId,
            requester: r.requester,
            financiers: r.financiers,
            financier: r.financier,
            mode: r.mode,
            recourse: r.recourse,
            status: r.status,
            createdAt: r.createdAt,
            expiresAt: r.expiresAt,
            fundedAt: r.fundedAt,
            asked: _unpack(r.asked),
            agreed: _unpack(r.agreed),
            paymentRef: r.paymentRef
        });
    }

    /// @inheritdoc IFinancing
    function getOffer(uint256 requestId, address financier) external view returns (Offer memory) {
        _existing(requestId);
        StoredOffer storage o = _offers[requestId][financier];
        return Offer({terms: _unpack(o.terms), status: o.status, madeAt: o.madeAt});
    }

    /// @inheritdoc IFinancing
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IFinancing
    function openRequestOf(uint256 tokenId) external view returns (uint256) {
        return _openRequest[tokenId];
    }

    /// @inheritdoc IFinancing
    function fundedRequestOf(uint256 tokenId) external view returns (uint256) {
        return _funded[tokenId];
    }

    /// @inheritdoc IFinancing
    function lienOf(uint256 tokenId) external view returns (uint256 requestId, address financier, uint256 owed) {
        uint256 funded = _funded[tokenId];
        Stored storage r = _requests[funded];
        if (funded != 0 && r.mode == Mode.Pledge) return (funded, r.financier, r.agreed.repayment);
    }

    /// @inheritdoc IFinancing
    function amountOwed(uint256 requestId) external view returns (uint256) {
        return _existing(requestId).agreed.repayment;
    }

    /// @inheritdoc IFinancing
    function openCount() external view returns (uint256) {
        return _openCount;
    }

    /// @inheritdoc IFinancing
    function requestTtl() external view returns (uint64) {
        return _requestTtl;
    }

    // ---- internals ------------------------------------------------------------------------

    function _accept(uint256 requestId, Stored storage r, address financier, PackedTerms memory terms) private {
        r.status = RequestStatus.Accepted;
        r.financier = financier;
        r.agreed = terms;
        emit FinancingAccepted(requestId, r.tokenId, financier, _unpack(terms));
    }

    /// @dev Terms valid for a piece of `value` due at `dueDate`, packed.
    function _checkTerms(uint256 tokenId, uint256 value, uint64 dueDate, Terms calldata t)
        private
        view
        returns (PackedTerms memory)
    {
        if (t.advance == 0) revert ZeroAdvance();
        if (t.advance > value) revert AdvanceAboveValue(tokenId, value, t.advance);
        if (t.fees > t.advance) revert FeesAboveAdvance(t.advance, t.fees);
        if (t.fundBy <= block.timestamp || t.fundBy >= dueDate) {
            revert InvalidFundingDeadline(t.fundBy, uint64(block.timestamp) + 1, dueDate - 1);
        }
        // advance <= piece value <= face amount, which fits 128 bits
        return PackedTerms({
            advance: uint128(t.advance),
            repayment: SafeCast.toUint128(t.repayment),
            fees: uint128(t.fees),
            fundBy: t.fundBy
        });
    }

    function _equal(PackedTerms memory a, Terms calldata b) private pure returns (bool) {
        return a.advance == b.advance && a.repayment == b.repayment && a.fees == b.fees && a.fundBy == b.fundBy;
    }

    function _unpack(PackedTerms memory t) private pure returns (Terms memory) {
        return Terms({advance: t.advance, repayment: t.repayment, fees: t.fees, fundBy: t.fundBy});
    }

    /// @dev The financier confirms a payment received off-chain; with a deposit token the
    /// debtor of the payment (the requester) may pay on-chain itself. Returns whether it pays on-chain.
    function _payer(uint256 requestId, Stored storage r, bytes32 paymentRef) private view returns (bool onChain) {
        if (paymentRef == bytes32(0)) revert MissingPaymentRef();
        if (msg.sender == r.financier) {
            _registry.requireRole(msg.sender, Roles.FINANCIER);
            return false;
        }
        if (msg.sender == r.requester && _token.depositToken() != address(0)) {
            _registry.requireRole(msg.sender, Roles.HOLDERS);
            return true;
        }
        revert NotFinancier(requestId, msg.sender);
    }

    function _close(Stored storage r, RequestStatus status) private {
        r.status = status;
        --_openCount;
        delete _openRequest[r.tokenId];
        _token.setPieceState(r.tokenId, IReceivableToken.PieceState.Active);
    }

    function _asRequester(uint256 requestId) private view returns (Stored storage r) {
        r = _existing(requestId);
        if (r.requester != msg.sender) revert NotRequester(requestId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
    }

    function _asNamed(uint256 requestId) private view returns (Stored storage r) {
        r = _existing(requestId);
        if (!_named[requestId][msg.sender]) revert NotFinancier(requestId, msg.sender);
        _registry.requireRole(msg.sender, Roles.FINANCIER);
    }

    function _asAccepted(uint256 requestId) private view returns (Stored storage r) {
        r = _existing(requestId);
        if (r.financier != msg.sender) revert NotFinancier(requestId, msg.sender);
        _registry.requireRole(msg.sender, Roles.FINANCIER);
    }

    function _existing(uint256 requestId) private view returns (Stored storage r) {
        r = _requests[requestId];
        if (r.status == RequestStatus.None) revert UnknownRequest(requestId);
    }

    function _requireStatus(uint256 requestId, Stored storage r, RequestStatus status) private view {
        if (r.status != status) revert InvalidRequestStatus(requestId, r.status);
    }

    function _requireNotExpired(uint256 requestId, Stored storage r) private view {
        if (block.timestamp > r.expiresAt) revert RequestExpired(requestId, r.expiresAt);
    }

    function _setRequestTtl(uint64 ttl) private {
        if (ttl < MIN_REQUEST_TTL || ttl > MAX_REQUEST_TTL) revert InvalidRequestTtl(ttl);
        uint64 old = _requestTtl;
        _requestTtl = ttl;
        emit RequestTtlChanged(old, ttl);
    }
}
