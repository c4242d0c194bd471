// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IFinancing} from "./interfaces/IFinancing.sol";
import {IReceivableToken} from "./interfaces/IReceivableToken.sol";
import {ERC3525} from "./ERC3525.sol";
import {Roles} from "./libraries/Roles.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ReceivableToken
/// @notice Confirmed receivables of core enterprises as ERC-3525 pieces. A slot is one root
/// receivable; its pieces are fungible within it and nothing else. Value sent to another
/// member leaves the sender's piece and becomes a child piece (parent, depth + 1), so the
/// lineage is a tree rooted at the slot's root piece and every write is O(1) in its depth.
contract ReceivableToken is ERC3525, IReceivableToken {
    using SafeERC20 for IERC20;

    /// @notice Evidence hashes one piece can carry; bounds the evidence view.
    uint256 public constant MAX_EVIDENCE_PER_PIECE = 32;
    /// @notice Upper bound for the governed maximum depth.
    uint32 public constant DEPTH_CEILING = 64;
    /// @notice Most pieces one settlement transaction may settle.
    uint256 public constant MAX_SETTLE_BATCH = 50;
    /// @notice Upper bound for the governed grace and default periods.
    uint64 public constant PERIOD_CEILING = 365 days;

    /// @dev One storage word per piece: writes stay O(1) and cheap at any depth.
    struct Piece {
        uint64 parentTokenId;
        uint32 depth;
        PieceState state;
        uint64 createdAt;
    }

    /// @dev Root data packed into five words; {getReceivable} widens it to the ABI struct.
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
        uint256 rootTokenId;
    }

    IConsortiumRegistry private immutable _registry;
    address private immutable _deployer;
    uint32 private _maxDepth;
    uint64 private _gracePeriod;
    uint64 private _defaultPeriod;
    bool private _modulesBound;
    address private _financing;
    address private _depositToken;
    uint256 private _minPieceValue;

    mapping(uint256 slot => Root) private _receivables;
    uint256 private _receivableCount;
    mapping(bytes32 documentHash => uint256 slot) private _slotByDocument;
    mapping(uint256 tokenId => Piece) private _pieces;
    mapping(uint256 tokenId => bytes32[]) private _evidence;
    mapping(uint256 tokenId => mapping(bytes32 evidenceHash => bool)) private _hasEvidence;

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
        if (documentHash == bytes32(0)) revert EmptyHash();
        uint256 existing = _slotByDocument[documentHash];
        if (existing != 0) revert DuplicateDocument(documentHash, existing);
        if (creditor == msg.sender) revert SelfDealing(creditor);
        _registry.requireRole(creditor, Roles.SUPPLIER);

        slot = ++_receivableCount;
        _slotByDocument[documentHash] = slot;
        tokenId = _mintToken(creditor, slot);
        _pieces[tokenId] = Piece({
            parentTokenId: 0,
            depth: 0,
            state: PieceState.Pending,
            createdAt: uint64(block.timestamp)
        });
        _receivables[slot] = Root({
            debtor: msg.sender,
            issueDate: uint64(block.timestamp),
            status: ReceivableStatus.Pending,
            currency: currency,
            creditor: creditor,
            dueDate: dueDate,
            faceAmount: SafeCast.toUint128(faceAmount),
            settledValue: 0,
            documentHash: documentHash,
            rootTokenId: tokenId
        });
        _mintValue(tokenId, faceAmount);
        emit ReceivableIssued(
            slot, tokenId, msg.sender, creditor, faceAmount, currency, uint64(block.timestamp), dueDate, documentHash
        );
    }

    /// @inheritdoc IReceivableToken
    function accept(uint256 slot) external {
        Root storage r = _pendingAsCreditor(slot);
        r.status = ReceivableStatus.Active;
        _pieces[r.rootTokenId].state = PieceState.Active;
        emit ReceivableAccepted(slot, r.rootTokenId, msg.sender);
    }

    /// @inheritdoc IReceivableToken
    function reject(uint256 slot, bytes32 reason) external {
        Root storage r = _pendingAsCreditor(slot);
        r.status = ReceivableStatus.Rejected;
        _pieces[r.rootTokenId].state = PieceState.Rejected;
        // A refused confirmation backs nothing: the invoice may be confirmed again, correctly.
        delete _slotByDocument[r.documentHash];
        emit ReceivableRejected(slot, r.rootTokenId, msg.sender, reason);
    }

    /// @inheritdoc IReceivableToken
    function cancel(uint256 slot) external {
        _registry.requireRole(msg.sender, Roles.CORE_ENTERPRISE);
        Root storage r = _existingReceivable(slot);
        if (r.debtor != msg.sender) revert NotDebtor(slot, msg.sender);
        _requirePending(r);
        r.status = ReceivableStatus.Cancelled;
        _pieces[r.rootTokenId].state = PieceState.Cancelled;
        delete _slotByDocument[r.documentHash];
        emit ReceivableCancelled(slot, r.rootTokenId, msg.sender);
    }

    // ---- pieces ---------------------------------------------------------------------------

    /// @notice Merging value into another piece would give it two parents; always reverts
    /// with {ValueMergeUnsupported}. Send value to an address instead.
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256) public pure override {
        revert ValueMergeUnsupported(fromTokenId, toTokenId);
    }

    /// @inheritdoc IReceivableToken
    function attachEvidence(uint256 tokenId, bytes32 evidenceHash) external {
        address holder = _requireOwned(tokenId);
        if (holder != msg.sender) revert NotHolder(tokenId, msg.sender);
        _registry.requireRole(msg.sender, Roles.HOLDERS);
        PieceState state = _pieces[tokenId].state;
        if (state == PieceState.Rejected || state == PieceState.Cancelled) revert InvalidPieceState(tokenId, state);
        if (evidenceHash == bytes32(0)) revert EmptyHash();
        if (_hasEvidence[tokenId][evidenceHash]) revert EvidenceAlreadyAttached(tokenId, evidenceHash);
        bytes32[] storage list = _evidence[tokenId];
        if (list.length >= MAX_EVIDENCE_PER_PIECE) revert EvidenceLimitReached(tokenId, MAX_EVIDENCE_PER_PIECE);
        _hasEvidence[tokenId][evidenceHash] = true;
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
    function markOverdue(uint256 tokenId) external {
        PieceState state = _pieces[tokenId].state;
        Root storage r = _receivables[slotOf(tokenId)];
        if (state != PieceState.Active && state != PieceState.Financed) revert InvalidPieceState(tokenId, state);
        uint64 overdueFrom = r.dueDate + _gracePeriod;
        if (block.timestamp < overdueFrom) revert GracePeriodRunning(tokenId, overdueFrom);
        _changeState(tokenId, state, PieceState.Overdue);
    }

    /// @inheritdoc IReceivableToken
    function markDefaulted(uint256 tokenId) external {
        PieceState state = _pieces[tokenId].state;
        Root storage r = _receivables[slotOf(tokenId)];
        if (state != PieceState.Overdue) revert InvalidPieceState(tokenId, state);
        uint64 defaultFrom = r.dueDate + _gracePeriod + _defaultPeriod;
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
        // The financing contract checked the parties; skip the holder rules of `_update`.
        ERC3525._update(to, tokenId, address(0));
    }

    /// @inheritdoc IReceivableToken
    function bindModules(address financing_, address depositToken_) external {
        if (msg.sender != _deployer || _modulesBound) revert ModuleBindingClosed(msg.sender);
        _modulesBound = true;
        _setModules(financing_, depositToken_);
    }

    /// @inheritdoc IReceivableToken
    function setModules(address financing_, address depositToken_) external onlyGovernance {
        _modulesBound = true;
        _setModules(financing_, depositToken_);
    }

    /// @inheritdoc IReceivableToken
    function setPeriods(uint64 gracePeriod_, uint64 defaultPeriod_) external onlyGovernance {
        _setPeriods(gracePeriod_, defaultPeriod_);
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
            status: r.status
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
            evidenceCount: _evidence[tokenId].length
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
    function slotOfDocument(bytes32 documentHash) external view returns (uint256) {
        return _slotByDocument[documentHash];
    }

    // ---- transfer rules -------------------------------------------------------------------

    /// @dev Rules for value sent to a new piece (split): the sending piece is `Active`, its
    /// holder and the operator are active holders, the receiver may hold this slot, both
    /// parts respect the minimum, and the child stays within the maximum depth.
    function _beforeValueTransfer(uint256 fromTokenId, uint256 toTokenId, uint256 value) internal override {
        if (fromTokenId == 0 || toTokenId == 0) return; // issuance mints; settlement burns
        Piece storage parent = _pieces[fromTokenId];
        _requireTransferable(fromTokenId, parent.state, ownerOf(fromTokenId));
        uint256 slot = slotOf(fromTokenId);
        _requireCanReceive(slot, ownerOf(toTokenId));
        if (value == 0) revert ZeroValue();
        if (value < _minPieceValue) revert ValueBelowMinimum(value, _minPieceValue);
        uint256 remainder = balanceOf(fromTokenId) - value;
        if (remainder != 0 && remainder < _minPieceValue) revert ValueBelowMinimum(remainder, _minPieceValue);
        uint32 depth = parent.depth + 1;
        if (depth > _maxDepth) revert DepthLimitExceeded(fromTokenId, depth, _maxDepth);

        _pieces[toTokenId] = Piece({
            parentTokenId: uint64(fromTokenId), // ids are sequential: 2^64 is out of reach
            depth: depth,
            state: PieceState.Active,
            createdAt: uint64(block.timestamp)
        });
        emit PieceSplit(fromTokenId, toTokenId, ownerOf(toTokenId), slot, value, depth);
    }

    /// @dev Rules for a whole piece changing hands (ERC-721 transfers); mints and burns are
    /// governed by the functions that make them.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) {
            _requireTransferable(tokenId, _pieces[tokenId].state, from);
            _requireCanReceive(slotOf(tokenId), to);
        }
        return super._update(to, tokenId, auth);
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

    // ---- internals ------------------------------------------------------------------------

    function _pendingAsCreditor(uint256 slot) private view returns (Root storage r) {
        _registry.requireRole(msg.sender, Roles.SUPPLIER);
        r = _existingReceivable(slot);
        if (r.creditor != msg.sender) revert NotCreditor(slot, msg.sender);
        _requirePending(r);
    }

    function _requirePending(Root storage r) private view {
        PieceState state = _pieces[r.rootTokenId].state;
        if (state != PieceState.Pending) revert InvalidPieceState(r.rootTokenId, state);
    }

    function _existingReceivable(uint256 slot) private view returns (Root storage r) {
        r = _receivables[slot];
        if (r.status == ReceivableStatus.None) revert UnknownReceivable(slot);
    }

    function _asDebtorFromDueDate(uint256 slot) private view returns (Root storage r) {
        _registry.requireRole(msg.sender, Roles.CORE_ENTERPRISE);
        r = _existingReceivable(slot);
        if (r.debtor != msg.sender) revert NotDebtor(slot, msg.sender);
        if (block.timestamp < r.dueDate) revert NotYetDue(slot, r.dueDate);
    }

    function _settle(uint256 tokenId, uint256 slot, Root storage r, bytes32 paymentRef) private {
        PieceState state = _pieces[tokenId].state;
        if (
            state != PieceState.Active && state != PieceState.Financed && state != PieceState.Overdue
                && state != PieceState.Defaulted
        ) revert InvalidPieceState(tokenId, state);
        address holder = ownerOf(tokenId);
        _registry.requireRole(holder, Roles.HOLDERS); // a suspended holder's pieces stay frozen
        uint256 amount = balanceOf(tokenId);
        (uint256 lienId, address lienHolder, uint256 owed) =
            _financing == address(0) ? (0, address(0), 0) : IFinancing(_financing).lienOf(tokenId);
        uint256 lienAmount = lienId == 0 ? 0 : Math.min(amount, owed);

        _burnValue(tokenId, amount);
        r.settledValue += uint128(amount); // amount <= face amount, which fits 128 bits
        if (r.settledValue == r.faceAmount) r.status = ReceivableStatus.Settled;
        _changeState(tokenId, state, PieceState.Settled);
        bool onChain = _depositToken != address(0);
        emit PieceSettled(tokenId, slot, holder, amount, lienHolder, lienAmount, paymentRef, onChain);

        if (lienId != 0) IFinancing(_financing).onSettled(tokenId, lienAmount);
        if (onChain) {
            IERC20 cash = IERC20(_depositToken);
            if (lienAmount != 0) cash.safeTransferFrom(msg.sender, lienHolder, lienAmount);
            if (amount > lienAmount) cash.safeTransferFrom(msg.sender, holder, amount - lienAmount);
        }
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
