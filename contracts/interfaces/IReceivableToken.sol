// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IReceivableToken
/// @notice Receivables confirmed by core enterprises, as ERC-3525 tokens: one slot per root
/// receivable, one token per piece. Pieces split and pass down the supply chain; every
/// piece records its parent and depth, so its lineage to the root is always on-chain.
/// Nothing moves without the consent of the party that gives something up: the creditor
/// accepts a receivable, a receiver signs for a piece (签收), a payee confirms a payment
/// made off-chain.
interface IReceivableToken {
    /// @notice Lifecycle of a piece. `Pending`: issued or sent, awaiting the receiver's
    /// consent. `AwaitingConfirmation`: settled off-chain, awaiting the payee's confirmation.
    /// `Rejected` / `Cancelled` also mark a sent piece that was refused / recalled (its value
    /// went back to the sender). `Expired`: a root receivable not accepted in time.
    /// `Netted`: its whole value cleared by set-off (not paid: see {net}).
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
        Cancelled,
        AwaitingConfirmation,
        Expired,
        Netted
    }

    /// @notice Lifecycle of a root receivable (a slot).
    enum ReceivableStatus {
        None,
        Pending,
        Active,
        Rejected,
        Cancelled,
        Settled,
        Expired
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
        uint64 gracePeriod;
        uint64 defaultPeriod;
        uint64 confirmationWindow;
        uint64 acceptBy;
        uint256 nettedValue;
        bytes32 anchor;
    }

    /// @notice An off-chain payment awaiting its payee's confirmation.
    struct PendingSettlement {
        bytes32 paymentRef;
        uint64 confirmBy;
        PieceState priorState;
        address payee;
        uint256 amount;
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
        address sender;
    }

    /// @notice Thrown when an amount or value is zero.
    error ZeroValue();
    /// @notice Thrown when a due date is not in the future.
    error DueDateInPast(uint64 dueDate, uint256 currentTime);
    /// @notice Thrown when a due date is more than {MAX_TERM} after the issue block.
    error DueDateTooFar(uint64 dueDate, uint64 latest);
    /// @notice Thrown when a document or evidence hash is zero.
    error EmptyHash();
    /// @notice Thrown when a currency code is empty.
    error InvalidCurrency(bytes3 currency);
    /// @notice Thrown when a document already backs a live root receivable between the same parties.
    error DuplicateDocument(bytes32 documentHash, uint256 slot);
    /// @notice Thrown when a pending receivable is accepted after its acceptance deadline.
    error ReceivableLapsed(uint256 slot, uint64 acceptBy);
    /// @notice Thrown when a pending receivable is expired before its acceptance deadline.
    error AcceptanceWindowOpen(uint256 slot, uint64 acceptBy);
    /// @notice Thrown when someone other than the sender recalls a piece.
    error NotSender(uint256 tokenId, address caller);
    /// @notice Thrown when someone other than the payee due to confirm acts on a payment.
    error NotPayee(uint256 tokenId, address caller, address payee);
    /// @notice Thrown when an off-chain settlement carries no payment reference.
    error MissingPaymentRef();
    /// @notice Thrown when a settlement repeats the reference its payee disputed.
    error PaymentRefDisputed(uint256 tokenId, bytes32 paymentRef);
    /// @notice Thrown when a payment is deemed confirmed before its confirmation window closed.
    error ConfirmationWindowOpen(uint256 tokenId, uint64 confirmBy);
    /// @notice Thrown when evidence repeats the document hash of a live receivable.
    error EvidenceIsDocument(bytes32 evidenceHash);
    /// @notice Thrown when the financing module is replaced while it still has open requests,
    /// liens or recourse it must be able to act on.
    error ModuleInUse(address financing, uint256 openCount);
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
    /// @notice Thrown when an evidence hash is already anchored, on `tokenId`: evidence hashes
    /// are unique ledger-wide.
    error EvidenceAlreadyAttached(uint256 tokenId, bytes32 evidenceHash);
    /// @notice Thrown when a piece carries the maximum number of evidence hashes.
    error EvidenceLimitReached(uint256 tokenId, uint256 limit);
    /// @notice Thrown when someone other than the holder acts on a piece.
    error NotHolder(uint256 tokenId, address caller);
    /// @notice Thrown when asking for the parent of a root piece.
    error RootHasNoParent(uint256 tokenId);
    /// @notice Thrown when a module-only function is called by anyone but the financing contract.
    error OnlyFinancing(address caller);
    /// @notice Thrown when anyone but the set-off contract reduces a piece by set-off.
    error OnlySetOff(address caller);
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
    /// @notice Emitted when a pending receivable lapsed unaccepted; its anchor is released.
    event ReceivableExpired(uint256 indexed slot, uint256 indexed tokenId, address indexed by);
    /// @notice Emitted when the receiver signs for a piece sent to it (签收); it becomes `Active`.
    event PieceAccepted(uint256 indexed tokenId, address indexed receiver, address indexed sender);
    /// @notice Emitted when the receiver refuses a piece sent to it. Its value went back into
    /// `returnedTo`: the sender's parent piece, or the piece itself, now the sender's again.
    event PieceRefused(
        uint256 indexed tokenId, address indexed receiver, address indexed sender, uint256 returnedTo, bytes32 reason
    );
    /// @notice Emitted when the sender takes back a piece not yet signed for; `returnedTo` as
    /// in {PieceRefused}.
    event PieceRecalled(uint256 indexed tokenId, address indexed sender, address indexed receiver, uint256 returnedTo);
    /// @notice Emitted when the debtor reports an off-chain payment of a piece's value
    /// `amount`; the piece awaits confirmation until `confirmBy`, first by `payee` (the lien
    /// holder for its share if there is a lien, else the holder).
    event SettlementSubmitted(
        uint256 indexed tokenId, uint256 indexed slot, address indexed payee, uint256 amount, bytes32 paymentRef, uint64 confirmBy
    );
    /// @notice Emitted when the payee confirms an off-chain payment, or (`deemed`) when its
    /// confirmation window closed in silence.
    event PaymentConfirmed(uint256 indexed tokenId, address indexed payee, uint256 amount, bytes32 paymentRef, bool deemed);
    /// @notice Emitted when the payee disputes an off-chain payment; the piece is unpaid again.
    event PaymentDisputed(uint256 indexed tokenId, address indexed payee, bytes32 paymentRef, bytes32 reason);
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
    /// @notice Emitted when the acceptance or confirmation window changes.
    event ConsentWindowsChanged(uint64 acceptanceWindow, uint64 confirmationWindow);
    /// @notice Emitted when the maximum depth changes.
    event MaxDepthChanged(uint32 oldMaxDepth, uint32 newMaxDepth);
    /// @notice Emitted when the minimum piece value changes.
    event MinPieceValueChanged(uint256 oldMinPieceValue, uint256 newMinPieceValue);

    /// @notice Confirms a debt to `creditor`: creates a slot and its root piece, `Pending`
    /// until the creditor accepts (by the acceptance deadline). The document anchor is
    /// `anchorOf(documentHash, debtor, creditor)`, so another member's issue can neither block
    /// nor use it. Grace, default and confirmation periods are snapshotted into the slot.
    /// @dev Caller: active CORE_ENTERPRISE (the debtor). `creditor`: active SUPPLIER.
    /// `dueDate` in the future and at most {MAX_TERM} away. Emits {ReceivableIssued} (and
    /// ERC-721/3525 mint events).
    function issue(address creditor, uint256 faceAmount, bytes3 currency, uint64 dueDate, bytes32 documentHash)
        external
        returns (uint256 slot, uint256 tokenId);

    /// @notice The creditor confirms the receivable; its root piece becomes `Active`.
    /// @dev Caller: the slot's creditor, active SUPPLIER, by the slot's `acceptBy`.
    /// Emits {ReceivableAccepted}.
    function accept(uint256 slot) external;

    /// @notice The creditor refuses the receivable; its document anchor is released.
    /// @dev Caller: the slot's creditor, active SUPPLIER. Emits {ReceivableRejected}.
    function reject(uint256 slot, bytes32 reason) external;

    /// @notice The debtor withdraws a receivable not yet accepted; its document anchor is released.
    /// @dev Caller: the slot's debtor, active CORE_ENTERPRISE. Emits {ReceivableCancelled}.
    function cancel(uint256 slot) external;

    /// @notice Lapses a receivable not accepted by its `acceptBy`; its anchor is released.
    /// @dev Caller: any active member. Emits {ReceivableExpired}.
    function expire(uint256 slot) external;

    /// @notice The receiver signs for a piece sent to it (签收): it becomes `Active`.
    /// @dev Caller: the piece's holder, active SUPPLIER or FINANCIER; the piece `Pending` and
    /// sent (not a root awaiting {accept}). Emits {PieceAccepted}.
    function acceptPiece(uint256 tokenId) external;

    /// @notice The receiver refuses a piece sent to it: its value goes back into the sender's
    /// parent piece if that is still `Active` and the sender's, else the piece itself returns
    /// to the sender, `Active`. Parent chain and value per slot are unchanged.
    /// @dev Caller: the piece's holder, active SUPPLIER or FINANCIER. Emits {PieceRefused}.
    function refusePiece(uint256 tokenId, bytes32 reason) external;

    /// @notice The sender takes back a piece the receiver has not signed for; as {refusePiece}.
    /// @dev Caller: the sender, active SUPPLIER or FINANCIER. Emits {PieceRecalled}.
    function recallPiece(uint256 tokenId) external;

    /// @notice Anchors a further evidence hash on a piece; evidence hashes are unique
    /// ledger-wide and never the document of a live receivable.
    /// @dev Caller: the piece's holder, active. Emits {EvidenceAttached}.
    function attachEvidence(uint256 tokenId, bytes32 evidenceHash) external;

    /// @notice The debtor settles a piece from its due date. With the deposit token the
    /// payment moves in this transaction (to escrow for a suspended payee) and the piece is
    /// `Settled`: for a pledged piece first to the lien holder up to what is owed, the rest to
    /// the holder. Off-chain, `paymentRef` is required and the piece awaits the payee's
    /// confirmation (the lien holder's first, then the holder's for the rest): see
    /// {confirmPayment}, {disputePayment}, {finalizeSettlement}.
    /// @dev Caller: the slot's debtor, active CORE_ENTERPRISE; the piece Active, Financed,
    /// Overdue or Defaulted. Emits {PieceSettled} or {SettlementSubmitted}, {PieceStateChanged}.
    function settle(uint256 tokenId, bytes32 paymentRef) external;

    /// @notice Settles up to {MAX_SETTLE_BATCH} pieces of one slot, all or none.
    function settleBatch(uint256 slot, uint256[] calldata tokenIds, bytes32 paymentRef) external;

    /// @notice The payee confirms an off-chain payment. The lien holder's confirmation settles
    /// its share (the lien closes); the holder's settles the rest and the piece is `Settled`.
    /// @dev Caller: the payee due to confirm ({settlementOf}), active. Emits {PaymentConfirmed},
    /// {PieceSettled}.
    function confirmPayment(uint256 tokenId) external;

    /// @notice The payee disputes an off-chain payment: the piece returns to its unpaid state
    /// with every remedy (overdue, default, recourse); the debtor may settle again with
    /// another reference. Parties resolve the dispute itself off-chain.
    /// @dev Caller: the payee due to confirm, active. Emits {PaymentDisputed}, {PieceStateChanged}.
    function disputePayment(uint256 tokenId, bytes32 reason) external;

    /// @notice After the slot's confirmation window closed in silence, the debtor finalises
    /// the settlement: deemed consent, under the terms the holder accepted when it signed for
    /// the piece. Emits {PaymentConfirmed} (deemed) and {PieceSettled}.
    /// @dev Caller: the slot's debtor, active CORE_ENTERPRISE.
    function finalizeSettlement(uint256 tokenId) external;

    /// @notice An active member marks an unsettled Active or Financed piece `Overdue` after
    /// due date + the slot's grace period. Emits {PieceStateChanged}.
    function markOverdue(uint256 tokenId) external;

    /// @notice An active member marks an `Overdue` piece `Defaulted` after the slot's default
    /// period. Emits {PieceStateChanged}.
    function markDefaulted(uint256 tokenId) external;

    /// @notice Financing module: moves a piece to a state. Emits {PieceStateChanged}.
    function setPieceState(uint256 tokenId, PieceState state) external;

    /// @notice Financing module: assigns a whole piece to `to` (factoring, recourse); never to
    /// the slot's debtor.
    function assign(uint256 tokenId, address to) external;

    /// @notice Set-off module: clears `amount` of an `Active` piece. The value leaves
    /// circulation and is added to the slot's `nettedValue` (live + settled + netted ==
    /// face); a piece cleared whole becomes `Netted`, a slot cleared whole `Settled`.
    /// @dev Caller: the bound set-off contract, which checked the round. Emits
    /// {TransferValue} to token 0 and, for a piece cleared whole, {PieceStateChanged}.
    function net(uint256 tokenId, uint256 amount) external;

    /// @notice Binds the financing contract, the optional deposit token and the set-off
    /// contract, once, by the deployer. The set-off contract is bound for good.
    function bindModules(address financing_, address depositToken_, address setOff_) external;

    /// @notice Replaces the financing contract and deposit token. Governance only; refused
    /// with {ModuleInUse} while the old financing contract has open requests or liens.
    function setModules(address financing_, address depositToken_) external;

    /// @notice Sets the grace period after the due date and the default period after it, for
    /// receivables issued from now on. Governance only.
    function setPeriods(uint64 gracePeriod_, uint64 defaultPeriod_) external;

    /// @notice Sets how long a creditor has to accept a receivable and a payee to confirm an
    /// off-chain payment, for receivables issued from now on. Governance only.
    function setConsentWindows(uint64 acceptanceWindow_, uint64 confirmationWindow_) external;

    /// @notice The financing contract allowed to lock, assign and release pieces.
    function financing() external view returns (address);

    /// @notice The ERC-20 deposit token used for delivery versus payment, or zero.
    function depositToken() external view returns (address);

    /// @notice Seconds after the due date before a piece can be marked overdue (new slots).
    function gracePeriod() external view returns (uint64);

    /// @notice Seconds after due date + grace before an overdue piece can be marked defaulted (new slots).
    function defaultPeriod() external view returns (uint64);

    /// @notice Seconds a creditor has to accept a new receivable.
    function acceptanceWindow() external view returns (uint64);

    /// @notice Seconds a payee has to confirm or dispute an off-chain payment (new slots).
    function confirmationWindow() external view returns (uint64);

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

    /// @notice The off-chain payment of a piece awaiting confirmation (zeros if none).
    function settlementOf(uint256 tokenId) external view returns (PendingSettlement memory);

    /// @notice The anchor of a document between a debtor and a creditor:
    /// keccak256(abi.encode(documentHash, debtor, creditor)).
    function anchorOf(bytes32 documentHash, address debtor, address creditor) external pure returns (bytes32);

    /// @notice The live slot an anchor backs, or 0.
    function slotOfAnchor(bytes32 anchor) external view returns (uint256);

    /// @notice The piece an evidence hash is anchored on, or 0.
    function pieceOfEvidence(bytes32 evidenceHash) external view returns (uint256);
}
