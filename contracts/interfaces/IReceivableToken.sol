// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IReceivableToken
/// @notice Receivables confirmed by core enterprises, as ERC-3525 tokens: one slot per root
/// receivable, one token per piece. Pieces split and pass down the supply chain; every
/// piece records its parent and depth, so its lineage to the root is always on-chain.
interface IReceivableToken {
    /// @notice Lifecycle of a piece. Financing, Financed, Settled, Overdue and Defaulted are
    /// entered through the financing and settlement rules; this contract guards them.
    enum PieceState {
        None,
        Pending,
        Active,
        Financing,
        Financed,
        Settled,
        Overdue,
        Defaulted,
        Rejected,
        Cancelled
    }

    /// @notice Lifecycle of a root receivable (a slot).
    enum ReceivableStatus {
        None,
        Pending,
        Active,
        Rejected,
        Cancelled,
        Settled
    }

    /// @notice Root data of a slot.
    struct Receivable {
        uint256 slot;
        address debtor;
        address creditor;
        uint256 faceAmount;
        bytes3 currency;
        uint64 issueDate;
        uint64 dueDate;
        bytes32 documentHash;
        uint256 rootTokenId;
        uint256 settledValue;
        ReceivableStatus status;
    }

    /// @notice The full record of a piece.
    struct PieceView {
        uint256 tokenId;
        uint256 slot;
        address holder;
        uint256 value;
        uint256 parentTokenId;
        uint32 depth;
        PieceState state;
        uint64 createdAt;
        uint256 evidenceCount;
    }

    /// @notice Thrown when an amount or value is zero.
    error ZeroValue();
    /// @notice Thrown when a due date is not in the future.
    error DueDateInPast(uint64 dueDate, uint256 currentTime);
    /// @notice Thrown when a document or evidence hash is zero.
    error EmptyHash();
    /// @notice Thrown when a currency code is empty.
    error InvalidCurrency(bytes3 currency);
    /// @notice Thrown when a document hash already backs a live root receivable.
    error DuplicateDocument(bytes32 documentHash, uint256 slot);
    /// @notice Thrown for a slot that does not exist.
    error UnknownReceivable(uint256 slot);
    /// @notice Thrown when a debtor names itself as creditor.
    error SelfDealing(address account);
    /// @notice Thrown when someone other than the slot's first creditor accepts or rejects it.
    error NotCreditor(uint256 slot, address caller);
    /// @notice Thrown when someone other than the slot's debtor cancels it.
    error NotDebtor(uint256 slot, address caller);
    /// @notice Thrown when a piece is not in the state the action needs.
    error InvalidPieceState(uint256 tokenId, PieceState state);
    /// @notice Thrown when a piece is locked, financed, settled or otherwise not transferable.
    error PieceNotTransferable(uint256 tokenId, PieceState state);
    /// @notice Thrown when a piece or its remainder would be smaller than the minimum.
    error ValueBelowMinimum(uint256 value, uint256 minimum);
    /// @notice Thrown when a split would go deeper than the maximum depth.
    error DepthLimitExceeded(uint256 tokenId, uint32 depth, uint32 maxDepth);
    /// @notice Thrown when the debtor of a slot would hold one of its pieces.
    error DebtorCannotHold(uint256 slot, address debtor);
    /// @notice Thrown on token-to-token value transfer: merging pieces would break lineage.
    error ValueMergeUnsupported(uint256 fromTokenId, uint256 toTokenId);
    /// @notice Thrown when a piece already carries the evidence hash.
    error EvidenceAlreadyAttached(uint256 tokenId, bytes32 evidenceHash);
    /// @notice Thrown when a piece carries the maximum number of evidence hashes.
    error EvidenceLimitReached(uint256 tokenId, uint256 limit);
    /// @notice Thrown when someone other than the holder acts on a piece.
    error NotHolder(uint256 tokenId, address caller);
    /// @notice Thrown when asking for the parent of a root piece.
    error RootHasNoParent(uint256 tokenId);
    /// @notice Thrown when a module-only function is called by anyone but the financing contract.
    error OnlyFinancing(address caller);
    /// @notice Thrown when the one-time module binding is repeated or made by another account.
    error ModuleBindingClosed(address caller);
    /// @notice Thrown when a piece is settled before its receivable's due date.
    error NotYetDue(uint256 slot, uint64 dueDate);
    /// @notice Thrown when a piece is marked overdue before due date + grace period.
    error GracePeriodRunning(uint256 tokenId, uint64 overdueFrom);
    /// @notice Thrown when a piece is marked defaulted before the default period is over.
    error DefaultPeriodRunning(uint256 tokenId, uint64 defaultFrom);
    /// @notice Thrown when a settlement batch is empty or larger than the maximum.
    error InvalidBatchSize(uint256 size, uint256 max);
    /// @notice Thrown when a batch names a piece of another slot.
    error PieceNotInSlot(uint256 tokenId, uint256 slot);
    /// @notice Thrown when a governed parameter is out of range.
    error InvalidParameter(bytes32 name, uint256 value);

    /// @notice Emitted when a core enterprise confirms what it owes: a new slot and its root piece.
    event ReceivableIssued(
        uint256 indexed slot,
        uint256 indexed tokenId,
        address indexed debtor,
        address creditor,
        uint256 faceAmount,
        bytes3 currency,
        uint64 issueDate,
        uint64 dueDate,
        bytes32 documentHash
    );
    /// @notice Emitted when the creditor accepts a receivable (two-party confirmation).
    event ReceivableAccepted(uint256 indexed slot, uint256 indexed tokenId, address indexed creditor);
    /// @notice Emitted when the creditor rejects a receivable.
    event ReceivableRejected(uint256 indexed slot, uint256 indexed tokenId, address indexed creditor, bytes32 reason);
    /// @notice Emitted when the debtor cancels a receivable before acceptance.
    event ReceivableCancelled(uint256 indexed slot, uint256 indexed tokenId, address indexed debtor);
    /// @notice Emitted when value of a piece moves into a new child piece.
    event PieceSplit(
        uint256 indexed parentTokenId,
        uint256 indexed childTokenId,
        address indexed to,
        uint256 slot,
        uint256 value,
        uint32 depth
    );
    /// @notice Emitted when a holder anchors an evidence hash (delivery note, photo...) on a piece.
    event EvidenceAttached(uint256 indexed tokenId, bytes32 indexed evidenceHash, address indexed by);
    /// @notice Emitted when financing, overdue or default moves a piece to another state.
    event PieceStateChanged(uint256 indexed tokenId, PieceState oldState, PieceState newState);
    /// @notice Emitted when the debtor settles a piece: its value leaves circulation. With a
    /// lien, `lienAmount` of `amount` went to the lien holder and the rest to the holder.
    event PieceSettled(
        uint256 indexed tokenId,
        uint256 indexed slot,
        address indexed holder,
        uint256 amount,
        address lienHolder,
        uint256 lienAmount,
        bytes32 paymentRef,
        bool paidOnChain
    );
    /// @notice Emitted when the financing contract or the deposit token changes.
    event ModulesChanged(address financing, address depositToken);
    /// @notice Emitted when the grace or default period changes.
    event PeriodsChanged(uint64 gracePeriod, uint64 defaultPeriod);
    /// @notice Emitted when the maximum depth changes.
    event MaxDepthChanged(uint32 oldMaxDepth, uint32 newMaxDepth);
    /// @notice Emitted when the minimum piece value changes.
    event MinPieceValueChanged(uint256 oldMinPieceValue, uint256 newMinPieceValue);

    /// @notice Confirms a debt to `creditor`: creates a slot and its root piece, `Pending`
    /// until the creditor accepts.
    /// @dev Caller: active CORE_ENTERPRISE (the debtor). `creditor`: active SUPPLIER.
    /// Emits {ReceivableIssued} (and ERC-721/3525 mint events).
    function issue(address creditor, uint256 faceAmount, bytes3 currency, uint64 dueDate, bytes32 documentHash)
        external
        returns (uint256 slot, uint256 tokenId);

    /// @notice The creditor confirms the receivable; its root piece becomes `Active`.
    /// @dev Caller: the slot's creditor, active. Emits {ReceivableAccepted}.
    function accept(uint256 slot) external;

    /// @notice The creditor refuses the receivable; its document hash is released.
    /// @dev Caller: the slot's creditor, active. Emits {ReceivableRejected}.
    function reject(uint256 slot, bytes32 reason) external;

    /// @notice The debtor withdraws a receivable not yet accepted; its document hash is released.
    /// @dev Caller: the slot's debtor, active CORE_ENTERPRISE. Emits {ReceivableCancelled}.
    function cancel(uint256 slot) external;

    /// @notice Anchors a further evidence hash on a piece.
    /// @dev Caller: the piece's holder, active. Emits {EvidenceAttached}.
    function attachEvidence(uint256 tokenId, bytes32 evidenceHash) external;

    /// @notice The debtor settles a piece from its due date: its value leaves circulation and is
    /// paid to its holder, or for a pledged piece first to the lien holder up to what is owed.
    /// With a deposit token the payment moves from the debtor in this transaction.
    /// @dev Caller: the slot's debtor, active CORE_ENTERPRISE; the piece Active, Financed,
    /// Overdue or Defaulted and its holder active. Emits {PieceSettled}, {PieceStateChanged}.
    function settle(uint256 tokenId, bytes32 paymentRef) external;

    /// @notice Settles up to {MAX_SETTLE_BATCH} pieces of one slot, all or none.
    function settleBatch(uint256 slot, uint256[] calldata tokenIds, bytes32 paymentRef) external;

    /// @notice Anyone marks an unsettled Active or Financed piece `Overdue` after due date + grace.
    /// Emits {PieceStateChanged}.
    function markOverdue(uint256 tokenId) external;

    /// @notice Anyone marks an `Overdue` piece `Defaulted` after the default period.
    /// Emits {PieceStateChanged}.
    function markDefaulted(uint256 tokenId) external;

    /// @notice Financing module: moves a piece to a state. Emits {PieceStateChanged}.
    function setPieceState(uint256 tokenId, PieceState state) external;

    /// @notice Financing module: assigns a whole piece to `to` (factoring, recourse).
    function assign(uint256 tokenId, address to) external;

    /// @notice Binds the financing contract and the optional deposit token, once, by the deployer.
    function bindModules(address financing_, address depositToken_) external;

    /// @notice Replaces the financing contract and deposit token. Governance only.
    function setModules(address financing_, address depositToken_) external;

    /// @notice Sets the grace period after the due date and the default period after it. Governance only.
    function setPeriods(uint64 gracePeriod_, uint64 defaultPeriod_) external;

    /// @notice The financing contract allowed to lock, assign and release pieces.
    function financing() external view returns (address);

    /// @notice The ERC-20 deposit token used for delivery versus payment, or zero.
    function depositToken() external view returns (address);

    /// @notice Seconds after the due date before a piece can be marked overdue.
    function gracePeriod() external view returns (uint64);

    /// @notice Seconds after due date + grace before an overdue piece can be marked defaulted.
    function defaultPeriod() external view returns (uint64);

    /// @notice Sets the maximum depth of a piece. Governance only.
    function setMaxDepth(uint32 maxDepth) external;

    /// @notice Sets the minimum value of a piece and of a split's remainder. Governance only.
    function setMinPieceValue(uint256 minPieceValue) external;

    /// @notice The consortium registry that admits members and governs this contract.
    function registry() external view returns (address);

    /// @notice Maximum depth of a piece (the root is depth 0).
    function maxDepth() external view returns (uint32);

    /// @notice Minimum value of a piece and of a split's remainder.
    function minPieceValue() external view returns (uint256);

    /// @notice Number of slots (root receivables) issued; slots run from 1 to this.
    function receivableCount() external view returns (uint256);

    /// @notice The root data of a slot.
    function getReceivable(uint256 slot) external view returns (Receivable memory);

    /// @notice The full record of a piece.
    function getPiece(uint256 tokenId) external view returns (PieceView memory);

    /// @notice The full record of a piece's parent (reverts with {RootHasNoParent} for a root).
    function getParent(uint256 tokenId) external view returns (PieceView memory);

    /// @notice The evidence hashes anchored on a piece.
    function evidenceOf(uint256 tokenId) external view returns (bytes32[] memory);

    /// @notice The slot a document hash backs, or 0.
    function slotOfDocument(bytes32 documentHash) external view returns (uint256);
}
