// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IFinancing} from "./interfaces/IFinancing.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title Financing
/// @notice Turns a piece of a confirmed receivable into cash: the holder asks one financier,
/// the piece is locked until the request ends, and funding either assigns the piece to the
/// financier (factoring) or liens it (pledge). A locked or financed piece can be neither
/// moved nor financed again, because the receivable token only moves `Active` pieces.
contract Financing is IFinancing {
    using SafeERC20 for IERC20;

    uint64 public constant MIN_REQUEST_TTL = 1 hours;
    uint64 public constant MAX_REQUEST_TTL = 90 days;
    uint16 public constant MAX_RATE_BPS = 10_000;

    /// @dev Four storage words per request; {getRequest} widens it to the ABI struct.
    struct Stored {
        uint64 tokenId;
        address requester;
        uint16 rateBps;
        Mode mode;
        bool recourse;
        address financier;
        uint64 createdAt;
        RequestStatus status;
        uint128 amount;
        uint64 expiresAt;
        uint64 fundedAt;
        bytes32 paymentRef;
    }

    IConsortiumRegistry private immutable _registry;
    IReceivableToken private immutable _token;
    uint64 private _requestTtl;
    uint256 private _requestCount;
    mapping(uint256 requestId => Stored) private _requests;
    mapping(uint256 tokenId => uint256 requestId) private _openRequest;
    mapping(uint256 tokenId => uint256 requestId) private _lien;

    constructor(IConsortiumRegistry registry_, IReceivableToken token_, uint64 requestTtl_) {
        _registry = registry_;
        _token = token_;
        _setRequestTtl(requestTtl_);
    }

    // ---- the holder -----------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function request(uint256 tokenId, address financier, uint256 amount, uint16 rateBps, Mode mode, bool recourse)
        external
        returns (uint256 requestId)
    {
        IReceivableToken.PieceView memory piece = _token.getPiece(tokenId);
        if (piece.holder != msg.sender) revert IReceivableToken.NotHolder(tokenId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        if (piece.state != IReceivableToken.PieceState.Active) {
            revert IReceivableToken.InvalidPieceState(tokenId, piece.state);
        }
        uint64 dueDate = _token.getReceivable(piece.slot).dueDate;
        if (block.timestamp >= dueDate) revert PieceDue(tokenId, dueDate);
        if (financier == msg.sender) revert SelfFinancing(msg.sender);
        _registry.requireRole(financier, Roles.FINANCIER);
        if (amount == 0) revert ZeroAdvance();
        if (amount > piece.value) revert AdvanceAboveValue(tokenId, piece.value, amount);
        if (rateBps > MAX_RATE_BPS) revert InvalidRate(rateBps);

        uint64 expiresAt = uint64(block.timestamp) + _requestTtl;
        if (expiresAt > dueDate) expiresAt = dueDate;
        requestId = ++_requestCount;
        _requests[requestId] = Stored({
            tokenId: SafeCast.toUint64(tokenId),
            requester: msg.sender,
            rateBps: rateBps,
            mode: mode,
            recourse: recourse,
            financier: financier,
            createdAt: uint64(block.timestamp),
            status: RequestStatus.Requested,
            amount: uint128(amount), // amount <= piece value <= face amount, which fits 128 bits
            expiresAt: expiresAt,
            fundedAt: 0,
            paymentRef: bytes32(0)
        });
        _openRequest[tokenId] = requestId;
        _token.setPieceState(tokenId, IReceivableToken.PieceState.Financing);
        emit FinancingRequested(requestId, tokenId, msg.sender, financier, amount, rateBps, mode, recourse, expiresAt);
    }

    /// @inheritdoc IFinancing
    function withdraw(uint256 requestId) external {
        Stored storage r = _existing(requestId);
        if (r.requester != msg.sender) revert NotRequester(requestId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        _requireOpen(requestId, r);
        _close(r, RequestStatus.Withdrawn);
        emit FinancingWithdrawn(requestId, r.tokenId);
    }

    /// @inheritdoc IFinancing
    function expire(uint256 requestId) external {
        Stored storage r = _existing(requestId);
        _requireOpen(requestId, r);
        if (block.timestamp <= r.expiresAt) revert RequestNotExpired(requestId, r.expiresAt);
        _close(r, RequestStatus.Expired);
        emit FinancingExpired(requestId, r.tokenId);
    }

    // ---- the financier --------------------------------------------------------------------

    /// @inheritdoc IFinancing
    function reject(uint256 requestId, bytes32 reason) external {
        Stored storage r = _asFinancier(requestId);
        _requireOpen(requestId, r);
        _close(r, RequestStatus.Rejected);
        emit FinancingRejected(requestId, r.tokenId, msg.sender, reason);
    }

    /// @inheritdoc IFinancing
    function approve(uint256 requestId, uint256 amount, uint16 rateBps) external {
        Stored storage r = _asFinancier(requestId);
        _requireStatus(requestId, r, RequestStatus.Requested);
        _requireNotExpired(requestId, r);
        if (amount == 0) revert ZeroAdvance();
        if (amount > r.amount) revert AdvanceAboveRequest(requestId, r.amount, amount);
        if (rateBps > MAX_RATE_BPS) revert InvalidRate(rateBps);
        r.amount = uint128(amount);
        r.rateBps = rateBps;
        r.status = RequestStatus.Approved;
        emit FinancingApproved(requestId, r.tokenId, msg.sender, amount, rateBps);
    }

    /// @inheritdoc IFinancing
    function fund(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _asFinancier(requestId);
        _requireStatus(requestId, r, RequestStatus.Approved);
        _requireNotExpired(requestId, r);
        if (paymentRef == bytes32(0)) revert MissingPaymentRef();
        address requester = r.requester;
        _registry.requireRole(requester, Roles.HOLDERS); // a suspended seller cannot be paid
        uint256 tokenId = r.tokenId;

        r.status = RequestStatus.Funded;
        r.fundedAt = uint64(block.timestamp);
        r.paymentRef = paymentRef;
        delete _openRequest[tokenId];
        if (r.mode == Mode.Factoring) {
            _token.assign(tokenId, msg.sender);
        } else {
            _lien[tokenId] = requestId;
        }
        _token.setPieceState(tokenId, IReceivableToken.PieceState.Financed);
        address cash = _token.depositToken();
        emit FinancingFunded(requestId, tokenId, msg.sender, r.amount, r.mode, paymentRef, cash != address(0));
        if (cash != address(0)) IERC20(cash).safeTransferFrom(msg.sender, requester, r.amount);
    }

    /// @inheritdoc IFinancing
    function repay(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _existing(requestId);
        _requireStatus(requestId, r, RequestStatus.Funded);
        if (r.mode != Mode.Pledge) revert WrongMode(requestId, r.mode);
        bool onChain = _payer(requestId, r, paymentRef);
        uint256 tokenId = r.tokenId;
        r.status = RequestStatus.Repaid;
        delete _lien[tokenId];
        // An overdue or defaulted piece keeps that state; only a current one is freed.
        if (_token.getPiece(tokenId).state == IReceivableToken.PieceState.Financed) {
            _token.setPieceState(tokenId, IReceivableToken.PieceState.Active);
        }
        uint256 owed = amountOwed(requestId);
        emit LoanRepaid(requestId, tokenId, msg.sender, owed, paymentRef, onChain);
        if (onChain) IERC20(_token.depositToken()).safeTransferFrom(msg.sender, r.financier, owed);
    }

    /// @inheritdoc IFinancing
    function claimRecourse(uint256 requestId) external {
        Stored storage r = _asFinancier(requestId);
        _requireStatus(requestId, r, RequestStatus.Funded);
        if (r.mode != Mode.Factoring || !r.recourse) revert NoRecourse(requestId);
        IReceivableToken.PieceState state = _token.getPiece(r.tokenId).state;
        if (state != IReceivableToken.PieceState.Defaulted) revert IReceivableToken.InvalidPieceState(r.tokenId, state);
        r.status = RequestStatus.RecourseClaimed;
        emit RecourseClaimed(requestId, r.tokenId, r.requester, msg.sender, amountOwed(requestId));
    }

    /// @inheritdoc IFinancing
    function repayRecourse(uint256 requestId, bytes32 paymentRef) external {
        Stored storage r = _existing(requestId);
        _requireStatus(requestId, r, RequestStatus.RecourseClaimed);
        bool onChain = _payer(requestId, r, paymentRef);
        uint256 tokenId = r.tokenId;
        r.status = RequestStatus.RecourseRepaid;
        // The seller bought its claim back: the debtor's late payment is now owed to it.
        _token.assign(tokenId, r.requester);
        uint256 owed = amountOwed(requestId);
        emit RecourseRepaid(requestId, tokenId, r.requester, owed, paymentRef, onChain);
        if (onChain) IERC20(_token.depositToken()).safeTransferFrom(msg.sender, r.financier, owed);
    }

    // ---- the receivable token -------------------------------------------------------------

    /// @inheritdoc IFinancing
    function onSettled(uint256 tokenId, uint256 paidToLienHolder) external {
        if (msg.sender != address(_token)) revert OnlyToken(msg.sender);
        uint256 requestId = _lien[tokenId];
        Stored storage r = _requests[requestId];
        r.status = RequestStatus.Settled;
        delete _lien[tokenId];
        emit LienSettled(requestId, tokenId, r.financier, paidToLienHolder);
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
            financier: r.financier,
            amount: r.amount,
            rateBps: r.rateBps,
            mode: r.mode,
            recourse: r.recourse,
            status: r.status,
            createdAt: r.createdAt,
            expiresAt: r.expiresAt,
            fundedAt: r.fundedAt,
            paymentRef: r.paymentRef
        });
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
    function lienOf(uint256 tokenId) external view returns (uint256 requestId, address financier, uint256 owed) {
        requestId = _lien[tokenId];
        if (requestId != 0) {
            financier = _requests[requestId].financier;
            owed = amountOwed(requestId);
        }
    }

    /// @inheritdoc IFinancing
    function amountOwed(uint256 requestId) public view returns (uint256) {
        Stored storage r = _existing(requestId);
        return uint256(r.amount) + (uint256(r.amount) * r.rateBps) / MAX_RATE_BPS;
    }

    /// @inheritdoc IFinancing
    function requestTtl() external view returns (uint64) {
        return _requestTtl;
    }

    // ---- internals ------------------------------------------------------------------------

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
        delete _openRequest[r.tokenId];
        _token.setPieceState(r.tokenId, IReceivableToken.PieceState.Active);
    }

    function _asFinancier(uint256 requestId) private view returns (Stored storage r) {
        r = _existing(requestId);
        if (r.financier != msg.sender) revert NotFinancier(requestId, msg.sender);
        _registry.requireRole(msg.sender, Roles.FINANCIER);
    }

    function _existing(uint256 requestId) private view returns (Stored storage r) {
        r = _requests[requestId];
        if (r.status == RequestStatus.None) revert UnknownRequest(requestId);
    }

    function _requireOpen(uint256 requestId, Stored storage r) private view {
        if (r.status != RequestStatus.Requested && r.status != RequestStatus.Approved) {
            revert InvalidRequestStatus(requestId, r.status);
        }
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
