// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDepositToken} from "./interfaces/IDepositToken.sol";
import {IFinancing} from "./interfaces/IFinancing.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {ERC3525} from "./ERC3525.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title ReceivableToken
/// @notice Confirmed receivables of core enterprises as ERC-3525 pieces. A slot is one root
/// receivable; its pieces are fungible within it and nothing else. Value sent to another
/// member leaves the sender's piece and becomes a child piece (parent, depth + 1) that the
/// receiver signs for, so the lineage is a tree rooted at the slot's root piece and every
/// write is O(1) in its depth. Settlement pays atomically in the deposit token, or is
/// recorded by reference and confirmed by the payee.
contract ReceivableToken is ERC3525, IReceivableToken {
    /// @notice Evidence hashes one piece can carry; bounds the evidence view.
    uint256 public constant MAX_EVIDENCE_PER_PIECE = 32;
    /// @notice Upper bound for the governed maximum depth.
    uint32 public constant DEPTH_CEILING = 64;
    /// @notice Most pieces one settlement transaction may settle.
    uint256 public constant MAX_SETTLE_BATCH = 50;
    /// @notice Upper bound for the governed periods and windows.
    uint64 public constant PERIOD_CEILING = 365 days;
    /// @notice Lower bound for the governed acceptance and confirmation windows.
    uint64 public constant WINDOW_FLOOR = 1 hours;
    /// @notice Latest due date, counted from the issue block's timestamp.
    uint64 public constant MAX_TERM = 50 * 365 days;

    /// @dev One storage word per piece: writes stay O(1) and cheap at any depth.
    struct Piece {
        uint64 parentTokenId;
        uint32 depth;
        PieceState state;
        uint64 createdAt;
    }

    /// @dev Root data in six words; {getReceivable} widens it to the ABI struct. Periods are
    /// snapshotted at issue, so governance never changes the terms of a live receivable.
    struct Root {
        address debtor;
        uint64 issueDate;
        ReceivableStatus status;
        bytes3 currency;
        address creditor;
        uint64 dueDate;
        uint128 faceAmount;
        uint128 settledValue;
        bytes32 documentHash;
        uint64 rootTokenId;
        uint64 acceptBy;
        uint32 gracePeriod;
        uint32 defaultPeriod;
        uint32 confirmationWindow;
        uint128 nettedValue; // value cleared by set-off
    }

    /// @dev An off-chain payment awaiting confirmation: the lien holder's share first (while
    /// `lienPart`), then the holder's.
    struct Payment {
        bytes32 paymentRef;
        uint64 confirmBy;
        PieceState priorState;
        bool lienPart;
    }

    IConsortiumRegistry private immutable _registry;
    address private immutable _deployer;
    uint32 private _maxDepth;
    uint64 private _gracePeriod;
    uint64 private _defaultPeriod;
    bool private _modulesBound;
    address private _financing;
    address private _depositToken;
    address private _setOff;
    uint64 private _acceptanceWindow;
    uint64 private _confirmationWindow;
    uint256 private _minPieceValue;

    mapping(uint256 slot => Root) private _receivables;
    uint256 private _receivableCount;
    mapping(bytes32 anchor => uint256 slot) private _slotByAnchor;
    mapping(bytes32 documentHash => uint256 liveRoots) private _documentUse;
    mapping(uint256 tokenId => Piece) private _pieces;
    mapping(uint256 tokenId => address sender) private _senders;
    mapping(uint256 tokenId => bytes32[]) private _evidence;
    mapping(bytes32 evidenceHash => uint256 tokenId) private _evidenceOwner;
    mapping(uint256 tokenId => Payment) private _payments;
    mapping(uint256 tokenId => bytes32 paymentRef) private _disputedRef;

    modifier onlyGovernance() {
        if (msg.sender != address(_registry)) revert IConsortiumRegistry.OnlyGovernance(msg.sender);
        _;
    }

    modifier onlyFinancing() {
        if (msg.sender != _financing) revert OnlyFinancing(msg.sender);
        _;
    }

    constructor(
        IConsortiumRegistry registry_,
        string memory name_,
        string memory symbol_,
        uint8 valueDecimals_,
        uint32 maxDepth_,
        uint256 minPieceValue_,
        uint64 gracePeriod_,
        uint64 defaultPeriod_
    ) ERC3525(name_, symbol_, valueDecimals_) {
        _registry = registry_;
        _deployer = msg.sender;
        _setMaxDepth(maxDepth_);
        _setMinPieceValue(minPieceValue_);
        _setPeriods(gracePeriod_, defaultPeriod_);
        _setConsentWindows(30 days, 7 days);
    }

    // ---- root receivables -----------------------------------------------------------------

    /// @inheritdoc IReceivableToken
    function issue(address creditor, uint256 faceAmount, bytes3 currency, uint64 dueDate, bytes32 documentHash)
        external
        returns (uint256 slot, uint256 tokenId)
    {
        _registry.requireRole(msg.sender, Roles.CORE_ENTERPRISE);
        if (faceAmount == 0) revert ZeroValue();
        if (faceAmount < _minPieceValue) revert ValueBelowMinimum(faceAmount, _minPieceValue);
        if (currency == bytes3(0)) revert InvalidCurrency(currency);
        if (dueDate <= block.timestamp) revert DueDateInPast(dueDate, block.timestamp);
        uint64 latest = uint64(block.timestamp) + MAX_TERM;
        if (dueDate > latest) revert DueDateTooFar(dueDate, latest);
        if (documentHash == bytes32(0)) revert EmptyHash();
        bytes32 anchor = anchorOf(documentHash, msg.sender, creditor);
        uint256 existing = _slotByAnchor[anchor];
        if (existing != 0) revert DuplicateDocument(documentHash, existing);
        if (creditor == msg.sender) revert SelfDealing(creditor);
        _registry.requireRole(creditor, Roles.SUPPLIER);

        slot = ++_receivableCount;
        _slotByAnchor[anchor] = slot;
        ++_documentUse[documentHash];
        tokenId = _mintToken(creditor, slot);
        _pieces[tokenId] = Piece({
            parentTokenId: 0,
            depth: 0,
            state: PieceState.Pending,
            createdAt: uint64(block.timestamp)
        });
        Root storage r = _receivables[slot];
        r.debtor = msg.sender;
        r.issueDate = uint64(block.timestamp);
        r.status = ReceivableStatus.Pending;
        r.currency = currency;
        r.creditor = creditor;
        r.dueDate = dueDate;
        r.faceAmount = SafeCast.toUint128(faceAmount);
        r.documentHash = documentHash;
        r.rootTokenId = uint64(tokenId); // ids are sequential: 2^64 is out of reach
        r.acceptBy = uint64(block.timestamp) + _acceptanceWindow;
        // Governed periods are at most PERIOD_CEILING, which fits 32 bits.
        r.gracePeriod = uint32(_gracePeriod);
        r.defaultPeriod = uint32(_defaultPeriod);
        r.confirmationWindow = uint32(_confirmationWindow);
        _mintValue(tokenId, faceAmount);
        emit ReceivableIssued(
            slot, tokenId, msg.sender, creditor, faceAmount, currency, uint64(block.timestamp), dueDate, documentHash
        );
    }

    /// @inheritdoc IReceivableToken
    function accept(uint256 slot) external {
        Root storage r = _pendingAsCreditor(slot);
        if (block.timestamp > r.acceptBy) revert ReceivableLapsed(slot, r.acceptBy);
        r.status = ReceivableStatus.Active;
        _pieces[r.rootTokenId].state = PieceState.Active;
        emit ReceivableAccepted(slot, r.rootTokenId, msg.sender);
    }

    /// @inheritdoc IReceivableToken
    function reject(uint256 slot, bytes32 reason) external {
        Root storage r = _pendingAsCreditor(slot);
        // A refused confirmation backs nothing: the invoice may be confirmed again, correctly.
        _closePending(r, ReceivableStatus.Rejected, PieceState.Rejected);
        emit ReceivableRejected(slot, r.rootTokenId, msg.sender, reason);
    }

    /// @inheritdoc IReceivableToken
    function cancel(uint256 slot) external {
        _registry.requireRole(msg.sender, Roles.CORE_ENTERPRISE);
        Root storage r = _existingReceivable(slot);
        if (r.debtor != msg.sender) revert NotDebtor(slot, msg.sender);
        _requirePending(r);
        _closePending(r, ReceivableStatus.Cancelled, PieceState.Cancelled);
        emit ReceivableCancelled(slot, r.rootTokenId, msg.sender);
    }

    /// @inheritdoc IReceivableToken
    function expire(uint256 slot) external {
        _registry.requireRole(msg.sender, Roles.ALL);
        Root storage r = _existingReceivable(slot);
        _requirePending(r);
        if (block.timestamp <= r.acceptBy) revert AcceptanceWindowOpen(slot, r.acceptBy);
        _closePending(r, ReceivableStatus.Expired, PieceState.Expired);
        emit ReceivableExpired(slot, r.rootTokenId, msg.sender);
    }

    // ---- pieces ---------------------------------------------------------------------------

    /// @notice Merging value into another piece would give it two parents; always reverts
    /// with {ValueMergeUnsupported}. Send value to an address instead.
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256) public pure override {
        revert ValueMergeUnsupported(fromTokenId, toTokenId);
    }

    /// @inheritdoc IReceivableToken
    function acceptPiece(uint256 tokenId) external {
        address sender = _sentPieceAsHolder(tokenId);
        _pieces[tokenId].state = PieceState.Active;
        delete _senders[tokenId];
        emit PieceAccepted(tokenId, msg.sender, sender);
    }

    /// @inheritdoc IReceivableToken
    function refusePiece(uint256 tokenId, bytes32 reason) external {
        address sender = _sentPieceAsHolder(tokenId);
        uint256 returnedTo = _returnPiece(tokenId, sender, PieceState.Rejected);
        emit PieceRefused(tokenId, msg.sender, sender, returnedTo, reason);
    }

    /// @inheritdoc IReceivableToken
    function recallPiece(uint256 tokenId) external {
        address receiver = _requireOwned(tokenId);
        address sender = _senders[tokenId];
        if (sender != msg.sender) revert NotSender(tokenId, msg.sender); // only a pending piece has one
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        uint256 returnedTo = _returnPiece(tokenId, sender, PieceState.Cancelled);
        emit PieceRecalled(tokenId, sender, receiver, returnedTo);
    }

    /// @inheritdoc IReceivableToken
    function attachEvidence(uint256 tokenId, bytes32 evidenceHash) external {
        address holder = _requireOwned(tokenId);
        if (holder != msg.sender) revert NotHolder(tokenId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        PieceState state = _pieces[tokenId].state;
        if (state == PieceState.Rejected || state == PieceState.Cancelled || state == PieceState.Expired) {
            revert InvalidPieceState(tokenId, state);
        }
        if (evidenceHash == bytes32(0)) revert EmptyHash();
        uint256 owner = _evidenceOwner[evidenceHash];
        if (owner != 0) revert EvidenceAlreadyAttached(owner, evidenceHash);
        if (_documentUse[evidenceHash] != 0) revert EvidenceIsDocument(evidenceHash);
        bytes32[] storage list = _evidence[tokenId];
        if (list.length >= MAX_EVIDENCE_PER_PIECE) revert EvidenceLimitReached(tokenId, MAX_EVIDENCE_PER_PIECE);
        _evidenceOwner[evidenceHash] = tokenId;
        list.push(evidenceHash);
        emit EvidenceAttached(tokenId, evidenceHash, msg.sender);
    }

    // ---- settlement, overdue and default --------------------------------------------------

    /// @inheritdoc IReceivableToken
    function settle(uint256 tokenId, bytes32 paymentRef) external {
        uint256 slot = slotOf(tokenId);
        Root storage r = _asDebtorFromDueDate(slot);
        _settle(tokenId, slot, r, paymentRef);
    }

    /// @inheritdoc IReceivableToken
    function settleBatch(uint256 slot, uint256[] calldata tokenIds, bytes32 paymentRef) external {
        if (tokenIds.length == 0 || tokenIds.length > MAX_SETTLE_BATCH) {
            revert InvalidBatchSize(tokenIds.length, MAX_SETTLE_BATCH);
        }
        Root storage r = _asDebtorFromDueDate(slot);
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            if (slotOf(tokenIds[i]) != slot) revert PieceNotInSlot(tokenIds[i], slot);
            _settle(tokenIds[i], slot, r, paymentRef);
        }
    }

    /// @inheritdoc IReceivableToken
    function confirmPayment(uint256 tokenId) external {
        Payment storage p = _awaiting(tokenId);
        (address payee,) = _due(tokenId, p);
        if (msg.sender != payee) revert NotPayee(tokenId, msg.sender, payee);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        _confirmShare(tokenId, p, false);
    }

    /// @inheritdoc IReceivableToken
    function disputePayment(uint256 tokenId, bytes32 reason) external {
        Payment storage p = _awaiting(tokenId);
        (address payee,) = _due(tokenId, p);
        if (msg.sender != payee) revert NotPayee(tokenId, msg.sender, payee);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        bytes32 paymentRef = p.paymentRef;
        PieceState prior = p.priorState;
        _disputedRef[tokenId] = paymentRef;
        delete _payments[tokenId];
        _changeState(tokenId, PieceState.AwaitingConfirmation, prior);
        emit PaymentDisputed(tokenId, msg.sender, paymentRef, reason);
    }

    /// @inheritdoc IReceivableToken
    function finalizeSettlement(uint256 tokenId) external {
        Payment storage p = _awaiting(tokenId);
        _asDebtor(slotOf(tokenId));
        if (block.timestamp <= p.confirmBy) revert ConfirmationWindowOpen(tokenId, p.confirmBy);
        if (p.lienPart) _confirmShare(tokenId, p, true);
        if (_pieces[tokenId].state == PieceState.AwaitingConfirmation) _confirmShare(tokenId, p, true);
    }

    /// @inheritdoc IReceivableToken
    function markOverdue(uint256 tokenId) external {
        _registry.requireRole(msg.sender, Roles.ALL);
        PieceState state = _pieces[tokenId].state;
        Root storage r = _receivables[slotOf(tokenId)];
        if (state != PieceState.Active && state != PieceState.Financed) revert InvalidPieceState(tokenId, state);
        uint64 overdueFrom = r.dueDate + r.gracePeriod;
        if (block.timestamp < overdueFrom) revert GracePeriodRunning(tokenId, overdueFrom);
        _changeState(tokenId, state, PieceState.Overdue);
    }

    /// @inheritdoc IReceivableToken
    function markDefaulted(uint256 tokenId) external {
        _registry.requireRole(msg.sender, Roles.ALL);
        PieceState state = _pieces[tokenId].state;
        Root storage r = _receivables[slotOf(tokenId)];
        if (state != PieceState.Overdue) revert InvalidPieceState(tokenId, state);
        uint64 defaultFrom = r.dueDate + r.gracePeriod + r.defaultPeriod;
        if (block.timestamp < defaultFrom) revert DefaultPeriodRunning(tokenId, defaultFrom);
        _changeState(tokenId, state, PieceState.Defaulted);
    }

    // ---- financing module -----------------------------------------------------------------

    /// @inheritdoc IReceivableToken
    function setPieceState(uint256 tokenId, PieceState state) external onlyFinancing {
        _requireOwned(tokenId);
        _changeState(tokenId, _pieces[tokenId].state, state);
    }

    /// @inheritdoc IReceivableToken
    function assign(uint256 tokenId, address to) external onlyFinancing {
        uint256 slot = slotOf(tokenId);
        address debtor = _receivables[slot].debtor;
        if (to == debtor) revert DebtorCannotHold(slot, debtor);
        // The financing contract checked the parties and their consent; skip the holder rules of `_update`.
        ERC3525._update(to, tokenId, address(0));
    }

    /// @inheritdoc IReceivableToken
    function net(uint256 tokenId, uint256 amount) external {
        if (msg.sender != _setOff) revert OnlySetOff(msg.sender);
        PieceState state = _pieces[tokenId].state;
        if (state != PieceState.Active) revert InvalidPieceState(tokenId, state);
        _discharge(tokenId, _receivables[slotOf(tokenId)], amount, true);
        if (balanceOf(tokenId) == 0) _changeState(tokenId, state, PieceState.Netted);
    }

    /// @inheritdoc IReceivableToken
    function bindModules(address financing_, address depositToken_, address setOff_) external {
        if (msg.sender != _deployer || _modulesBound) revert ModuleBindingClosed(msg.sender);
        _modulesBound = true;
        _setOff = setOff_;
        _setModules(financing_, depositToken_);
    }

    /// @inheritdoc IReceivableToken
    function setModules(address financing_, address depositToken_) external onlyGovernance {
        address old = _financing;
        if (old != address(0) && old != financing_) {
            uint256 open = IFinancing(old).openCount();
            if (open != 0) revert ModuleInUse(old, open);
        }
        _modulesBound = true;
        _setModules(financing_, depositToken_);
    }

    /// @inheritdoc IReceivableToken
    function setPeriods(uint64 gracePeriod_, uint64 defaultPeriod_) external onlyGovernance {
        _setPeriods(gracePeriod_, defaultPeriod_);
    }

    /// @inheritdoc IReceivableToken
    function setConsentWindows(uint64 acceptanceWindow_, uint64 confirmationWindow_) external onlyGovernance {
        _setConsentWindows(acceptanceWindow_, confirmationWindow_);
    }

    /// @inheritdoc IReceivableToken
    function financing() external view returns (address) {
        return _financing;
    }

    /// @inheritdoc IReceivableToken
    function depositToken() external view returns (address) {
        return _depositToken;
    }

    /// @inheritdoc IReceivableToken
    function gracePeriod() external view returns (uint64) {
        return _gracePeriod;
    }

    /// @inheritdoc IReceivableToken
    function defaultPeriod() external view returns (uint64) {
        return _defaultPeriod;
    }

    /// @inheritdoc IReceivableToken
    function acceptanceWindow() external view returns (uint64) {
        return _acceptanceWindow;
    }

    /// @inheritdoc IReceivableToken
    function confirmationWindow() external view returns (uint64) {
        return _confirmationWindow;
    }

    // ---- governed parameters --------------------------------------------------------------

    /// @inheritdoc IReceivableToken
    function setMaxDepth(uint32 maxDepth_) external onlyGovernance {
        _setMaxDepth(maxDepth_);
    }

    /// @inheritdoc IReceivableToken
    function setMinPieceValue(uint256 minPieceValue_) external onlyGovernance {
        _setMinPieceValue(minPieceValue_);
    }

    // ---- views ----------------------------------------------------------------------------

    /// @inheritdoc IReceivableToken
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IReceivableToken
    function maxDepth() external view returns (uint32) {
        return _maxDepth;
    }

    /// @inheritdoc IReceivableToken
    function minPieceValue() external view returns (uint256) {
        return _minPieceValue;
    }

    /// @inheritdoc IReceivableToken
    function receivableCount() external view returns (uint256) {
        return _receivableCount;
    }

    /// @inheritdoc IReceivableToken
    function getReceivable(uint256 slot) external view returns (Receivable memory) {
        Root storage r = _existingReceivable(slot);
        return Receivable({
            slot: slot,
            debtor: r.debtor,
            creditor: r.creditor,
            faceAmount: r.faceAmount,
            currency: r.currency,
            issueDate: r.issueDate,
            dueDate: r.dueDate,
            documentHash: r.documentHash,
            rootTokenId: r.rootTokenId,
            settledValue: r.settledValue,
            status: r.status,
            gracePeriod: r.gracePeriod,
            defaultPeriod: r.defaultPeriod,
            confirmationWindow: r.confirmationWindow,
            acceptBy: r.acceptBy,
            nettedValue: r.nettedValue,
            anchor: anchorOf(r.documentHash, r.debtor, r.creditor)
        });
    }

    /// @inheritdoc IReceivableToken
    function getPiece(uint256 tokenId) public view returns (PieceView memory) {
        address holder = _requireOwned(tokenId);
        Piece storage p = _pieces[tokenId];
        return PieceView({
            tokenId: tokenId,
            slot: slotOf(tokenId),
            holder: holder,
            value: balanceOf(tokenId),
            parentTokenId: p.parentTokenId,
            depth: p.depth,
            state: p.state,
            createdAt: p.createdAt,
            evidenceCount: _evidence[tokenId].length,
            sender: _senders[tokenId]
        });
    }

    /// @inheritdoc IReceivableToken
    function getParent(uint256 tokenId) external view returns (PieceView memory) {
        _requireOwned(tokenId);
        uint256 parentTokenId = _pieces[tokenId].parentTokenId;
        if (parentTokenId == 0) revert RootHasNoParent(tokenId);
        return getPiece(parentTokenId);
    }

    /// @inheritdoc IReceivableToken
    function evidenceOf(uint256 tokenId) external view returns (bytes32[] memory) {
        _requireOwned(tokenId);
        return _evidence[tokenId];
    }

    /// @inheritdoc IReceivableToken
    function settlementOf(uint256 tokenId) external view returns (PendingSettlement memory s) {
        _requireOwned(tokenId);
        Payment storage p = _payments[tokenId];
        if (_pieces[tokenId].state != PieceState.AwaitingConfirmation) return s;
        (address payee, uint256 amount) = _due(tokenId, p);
        return PendingSettlement({
            paymentRef: p.paymentRef,
            confirmBy: p.confirmBy,
            priorState: p.priorState,
            payee: payee,
            amount: amount
        });
    }

    /// @inheritdoc IReceivableToken
    function anchorOf(bytes32 documentHash, address debtor, address creditor) public pure returns (bytes32) {
        return keccak256(abi.encode(documentHash, debtor, creditor));
    }

    /// @inheritdoc IReceivableToken
    function slotOfAnchor(bytes32 anchor) external view returns (uint256) {
        return _slotByAnchor[anchor];
    }

    /// @inheritdoc IReceivableToken
    function pieceOfEvidence(bytes32 evidenceHash) external view returns (uint256) {
        return _evidenceOwner[evidenceHash];
    }

    // ---- transfer rules -------------------------------------------------------------------

    /// @dev Rules for value sent to a new piece (split): the sending piece is `Active`, its
    /// holder and the operator are active holders, the receiver may hold this slot, both
    /// parts respect the minimum, and the child stays within the maximum depth. A child sent
    /// to another member is `Pending` until it signs for it.
    function _beforeValueTransfer(uint256 fromTokenId, uint256 toTokenId, uint256 value) internal override {
        if (fromTokenId == 0 || toTokenId == 0) return; // issuance mints; settlement burns
        Piece storage parent = _pieces[fromTokenId];
        address holder = ownerOf(fromTokenId);
        _requireTransferable(fromTokenId, parent.state, holder);
        uint256 slot = slotOf(fromTokenId);
        address receiver = ownerOf(toTokenId);
        _requireCanReceive(slot, receiver);
        if (value == 0) revert ZeroValue();
        if (value < _minPieceValue) revert ValueBelowMinimum(value, _minPieceValue);
        uint256 remainder = balanceOf(fromTokenId) - value;
        if (remainder != 0 && remainder < _minPieceValue) revert ValueBelowMinimum(remainder, _minPieceValue);
        uint32 depth = parent.depth + 1;
        if (depth > _maxDepth) revert DepthLimitExceeded(fromTokenId, depth, _maxDepth);

        bool toSelf = receiver == holder;
        _pieces[toTokenId] = Piece({
            parentTokenId: uint64(fromTokenId), // ids are sequential: 2^64 is out of reach
            depth: depth,
            state: toSelf ? PieceState.Active : PieceState.Pending,
            createdAt: uint64(block.timestamp)
        });
        if (!toSelf) _senders[toTokenId] = holder;
        emit PieceSplit(fromTokenId, toTokenId, receiver, slot, value, depth);
    }

    /// @dev Rules for a whole piece changing hands (ERC-721 transfers): as for a split, and the
    /// piece is `Pending` at the receiver until it signs for it. Mints and burns are governed
    /// by the functions that make them.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        bool moves = from != address(0) && to != address(0);
        if (moves) {
            _requireTransferable(tokenId, _pieces[tokenId].state, from);
            _requireCanReceive(slotOf(tokenId), to);
        }
        from = super._update(to, tokenId, auth);
        if (moves && to != from) {
            _senders[tokenId] = from;
            _changeState(tokenId, PieceState.Active, PieceState.Pending);
        }
    }

    function _requireTransferable(uint256 tokenId, PieceState state, address holder) private view {
        if (state != PieceState.Active) revert PieceNotTransferable(tokenId, state);
        // A suspended holder's pieces are frozen, whoever operates them.
        _registry.requireRole(holder, Roles.HOLDERS);
        if (msg.sender != holder) _registry.requireRole(msg.sender, Roles.HOLDERS);
    }

    function _requireCanReceive(uint256 slot, address to) private view {
        address debtor = _receivables[slot].debtor;
        if (to == debtor) revert DebtorCannotHold(slot, debtor);
        _registry.requireRole(to, Roles.HOLDERS);
    }

    /// @dev The caller holds a piece sent to it and not yet signed for; returns its sender.
    function _sentPieceAsHolder(uint256 tokenId) private view returns (address sender) {
        address holder = _requireOwned(tokenId);
        if (holder != msg.sender) revert NotHolder(tokenId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        PieceState state = _pieces[tokenId].state;
        sender = _senders[tokenId];
        if (state != PieceState.Pending || sender == address(0)) revert InvalidPieceState(tokenId, state);
    }

    /// @dev A sent piece goes back: into its parent if that is still the sender's and
    /// `Active` (the piece stays as an empty `tomb`), else whole to the sender, `Active`.
    function _returnPiece(uint256 tokenId, address sender, PieceState tomb) private returns (uint256 returnedTo) {
        delete _senders[tokenId];
        uint256 parent = _pieces[tokenId].parentTokenId;
        if (parent != 0 && _ownerOf(parent) == sender && _pieces[parent].state == PieceState.Active) {
            _moveValue(tokenId, parent, balanceOf(tokenId));
            _changeState(tokenId, PieceState.Pending, tomb);
            return parent;
        }
        ERC3525._update(sender, tokenId, address(0));
        _changeState(tokenId, PieceState.Pending, PieceState.Active);
        return tokenId;
    }

    // ---- settlement internals -------------------------------------------------------------

    function _settle(uint256 tokenId, uint256 slot, Root storage r, bytes32 paymentRef) private {
        PieceState state = _pieces[tokenId].state;
        if (
            state != PieceState.Active && state != PieceState.Financed && state != PieceState.Overdue
                && state != PieceState.Defaulted
        ) revert InvalidPieceState(tokenId, state);
        if (_depositToken != address(0)) return _settleOnChain(tokenId, slot, r, state, paymentRef);

        if (paymentRef == bytes32(0)) revert MissingPaymentRef();
        if (paymentRef == _disputedRef[tokenId]) revert PaymentRefDisputed(tokenId, paymentRef);
        (uint256 lienId,, uint256 owed) = _lien(tokenId);
        uint64 confirmBy = uint64(block.timestamp) + r.confirmationWindow;
        Payment storage p = _payments[tokenId];
        p.paymentRef = paymentRef;
        p.confirmBy = confirmBy;
        p.priorState = state;
        p.lienPart = lienId != 0 && owed != 0;
        _changeState(tokenId, state, PieceState.AwaitingConfirmation);
        (address payee,) = _due(tokenId, p);
        emit SettlementSubmitted(tokenId, slot, payee, balanceOf(tokenId), paymentRef, confirmBy);
    }

    /// @dev Delivery versus payment: value leaves circulation and the debtor's cash reaches
    /// the payees (or their escrow) in the same transaction.
    function _settleOnChain(uint256 tokenId, uint256 slot, Root storage r, PieceState state, bytes32 paymentRef)
        private
    {
        address holder = ownerOf(tokenId);
        uint256 amount = balanceOf(tokenId);
        (uint256 lienId, address lienHolder, uint256 owed) = _lien(tokenId);
        uint256 lienAmount = lienId == 0 ? 0 : Math.min(amount, owed);
        _discharge(tokenId, r, amount, false);
        _changeState(tokenId, state, PieceState.Settled);
        emit PieceSettled(tokenId, slot, holder, amount, lienHolder, lienAmount, paymentRef, true);
        _onSettled(tokenId, lienId == 0 ? amount : lienAmount);
        IDepositToken cash = IDepositToken(_depositToken);
        if (lienAmount != 0) cash.pay(msg.sender, lienHolder, lienAmount);
        if (amount > lienAmount) cash.pay(msg.sender, holder, amount - lienAmount);
    }

    /// @dev The payee due to confirm accepted (or is deemed to): its share leaves circulation.
    function _confirmShare(uint256 tokenId, Payment storage p, bool deemed) private {
        uint256 slot = slotOf(tokenId);
        Root storage r = _receivables[slot];
        address holder = ownerOf(tokenId);
        bytes32 paymentRef = p.paymentRef;
        (address payee, uint256 amount) = _due(tokenId, p);
        emit PaymentConfirmed(tokenId, payee, amount, paymentRef, deemed);
        _discharge(tokenId, r, amount, false);
        if (p.lienPart) {
            p.lienPart = false;
            if (p.priorState == PieceState.Financed) p.priorState = PieceState.Active; // the lien is gone
            emit PieceSettled(tokenId, slot, holder, amount, payee, amount, paymentRef, false);
            _onSettled(tokenId, amount);
            if (balanceOf(tokenId) != 0) return; // the holder's share awaits the holder
        } else {
            emit PieceSettled(tokenId, slot, holder, amount, address(0), 0, paymentRef, false);
            _onSettled(tokenId, amount);
        }
        delete _payments[tokenId];
        _changeState(tokenId, PieceState.AwaitingConfirmation, PieceState.Settled);
    }

    /// @dev Who must confirm next and for how much: the lien holder its share, then the holder the rest.
    function _due(uint256 tokenId, Payment storage p) private view returns (address payee, uint256 amount) {
        amount = balanceOf(tokenId);
        if (!p.lienPart) return (ownerOf(tokenId), amount);
        (, address lienHolder, uint256 owed) = _lien(tokenId);
        return (lienHolder, Math.min(amount, owed));
    }

    function _lien(uint256 tokenId) private view returns (uint256 requestId, address lienHolder, uint256 owed) {
        if (_financing != address(0)) return IFinancing(_financing).lienOf(tokenId);
    }

    function _onSettled(uint256 tokenId, uint256 paidToFinancier) private {
        if (_financing != address(0)) IFinancing(_financing).onSettled(tokenId, paidToFinancier);
    }

    /// @dev Value leaves circulation, paid or netted; a slot discharged whole is `Settled`.
    function _discharge(uint256 tokenId, Root storage r, uint256 amount, bool netted) private {
        _burnValue(tokenId, amount);
        // amount <= face amount, which fits 128 bits
        if (netted) r.nettedValue += uint128(amount);
        else r.settledValue += uint128(amount);
        if (r.settledValue + r.nettedValue == r.faceAmount) r.status = ReceivableStatus.Settled;
    }

    function _awaiting(uint256 tokenId) private view returns (Payment storage p) {
        _requireOwned(tokenId);
        PieceState state = _pieces[tokenId].state;
        if (state != PieceState.AwaitingConfirmation) revert InvalidPieceState(tokenId, state);
        return _payments[tokenId];
    }

    // ---- internals ------------------------------------------------------------------------

    function _pendingAsCreditor(uint256 slot) private view returns (Root storage r) {
        _registry.requireRole(msg.sender, Roles.SUPPLIER);
        r = _existingReceivable(slot);
        if (r.creditor != msg.sender) revert NotCreditor(slot, msg.sender);
        _requirePending(r);
    }

    /// @dev The receivable awaits its creditor's acceptance. Its root piece alone does not
    /// say so: an accepted root sent whole to another holder is pending that holder's signature.
    function _requirePending(Root storage r) private view {
        PieceState state = _pieces[r.rootTokenId].state;
        if (r.status != ReceivableStatus.Pending) revert InvalidPieceState(r.rootTokenId, state);
    }

    function _closePending(Root storage r, ReceivableStatus status, PieceState state) private {
        r.status = status;
        _pieces[r.rootTokenId].state = state;
        delete _slotByAnchor[anchorOf(r.documentHash, r.debtor, r.creditor)];
        --_documentUse[r.documentHash];
    }

    function _existingReceivable(uint256 slot) private view returns (Root storage r) {
        r = _receivables[slot];
        if (r.status == ReceivableStatus.None) revert UnknownReceivable(slot);
    }

    function _asDebtor(uint256 slot) private view returns (Root storage r) {
        _registry.requireRole(msg.sender, Roles.CORE_ENTERPRISE);
        r = _existingReceivable(slot);
        if (r.debtor != msg.sender) revert NotDebtor(slot, msg.sender);
    }

    function _asDebtorFromDueDate(uint256 slot) private view returns (Root storage r) {
        r = _asDebtor(slot);
        if (block.timestamp < r.dueDate) revert NotYetDue(slot, r.dueDate);
    }

    function _changeState(uint256 tokenId, PieceState oldState, PieceState newState) private {
        _pieces[tokenId].state = newState;
        emit PieceStateChanged(tokenId, oldState, newState);
    }

    function _setModules(address financing_, address depositToken_) private {
        _financing = financing_;
        _depositToken = depositToken_;
        emit ModulesChanged(financing_, depositToken_);
    }

    function _setPeriods(uint64 gracePeriod_, uint64 defaultPeriod_) private {
        if (gracePeriod_ > PERIOD_CEILING) revert InvalidParameter("gracePeriod", gracePeriod_);
        if (defaultPeriod_ == 0 || defaultPeriod_ > PERIOD_CEILING) {
            revert InvalidParameter("defaultPeriod", defaultPeriod_);
        }
        _gracePeriod = gracePeriod_;
        _defaultPeriod = defaultPeriod_;
        emit PeriodsChanged(gracePeriod_, defaultPeriod_);
    }

    function _setConsentWindows(uint64 acceptanceWindow_, uint64 confirmationWindow_) private {
        if (acceptanceWindow_ < WINDOW_FLOOR || acceptanceWindow_ > PERIOD_CEILING) {
            revert InvalidParameter("acceptanceWindow", acceptanceWindow_);
        }
        if (confirmationWindow_ < WINDOW_FLOOR || confirmationWindow_ > PERIOD_CEILING) {
            revert InvalidParameter("confirmationWindow", confirmationWindow_);
        }
        _acceptanceWindow = acceptanceWindow_;
        _confirmationWindow = confirmationWindow_;
        emit ConsentWindowsChanged(acceptanceWindow_, confirmationWindow_);
    }

    function _setMaxDepth(uint32 maxDepth_) private {
        if (maxDepth_ == 0 || maxDepth_ > DEPTH_CEILING) revert InvalidParameter("maxDepth", maxDepth_);
        uint32 old = _maxDepth;
        _maxDepth = maxDepth_;
        emit MaxDepthChanged(old, maxDepth_);
    }

    function _setMinPieceValue(uint256 minPieceValue_) private {
        if (minPieceValue_ == 0) revert InvalidParameter("minPieceValue", minPieceValue_);
        uint256 old = _minPieceValue;
        _minPieceValue = minPieceValue_;
        emit MinPieceValueChanged(old, minPieceValue_);
    }
}
