// RFC 9457 problems as sentences: what happened and what to do, by the problem's type slug
// (https://scfledger.dev/problems/<slug>); an unknown type shows the problem's own
// title and detail.
import type { Lang } from "../i18n/messages";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
}

/** Thrown by `must` when the gateway refuses: carries the problem document. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.title);
    this.problem = problem;
  }
}

const PREFIX = "https://scfledger.dev/problems/";

export function slugOf(problem: Problem): string {
  return problem.type.startsWith(PREFIX) ? problem.type.slice(PREFIX.length) : problem.type;
}

type Sentences = Record<string, { zh: string; en: string }>;

export const SENTENCES: Sentences = {
  "invalid-credentials": {
    zh: "机构、用户名、密码或动态验证码不正确。请检查后重试；多次失败后账户会被暂时锁定。",
    en: "The institution, username, password or one-time code is wrong. Check them and try again; repeated failures lock the account for a while.",
  },
  "second-factor-required": {
    zh: "请输入身份验证器应用中的 6 位动态验证码。",
    en: "Enter the 6-digit one-time code from your authenticator app.",
  },
  "session-expired": {
    zh: "会话已结束（长时间未操作或已在别处退出）。请重新登录。",
    en: "Your session has ended (idle too long, or signed out elsewhere). Please sign in again.",
  },
  unauthenticated: {
    zh: "尚未登录或登录已失效。请重新登录。",
    en: "You are not signed in. Please sign in again.",
  },
  "account-locked": {
    zh: "账户已被锁定（登录失败次数过多或已被停用）。请稍后再试，或联系本机构管理员解锁。",
    en: "The account is locked (too many failed sign-ins, or disabled). Try again later or ask your institution's admin to unlock it.",
  },
  "csrf-failed": {
    zh: "安全令牌缺失或已失效。请刷新页面并重新登录。",
    en: "The security token is missing or stale. Reload the page and sign in again.",
  },
  "password-change-required": {
    zh: "首次登录或密码被重置后，须先修改密码。",
    en: "You must change your password first (first sign-in or after a reset).",
  },
  "role-required": {
    zh: "您的角色不允许此操作。请联系本机构管理员分配相应角色。",
    en: "Your role does not allow this. Ask your institution's admin for the role.",
  },
  "scope-required": {
    zh: "当前凭证的权限范围不允许此操作。",
    en: "This credential's scope does not allow this.",
  },
  "own-draft": {
    zh: "不能复核自己提交的草稿，需由本机构另一位复核员审批。",
    en: "You cannot check your own draft: another checker of your institution must.",
  },
  "already-decided": {
    zh: "该草稿已被处理（您已审批过，或它已不在待审批状态）。请刷新列表。",
    en: "This draft was already decided (by you, or it is no longer pending). Refresh the list.",
  },
  "draft-expired": {
    zh: "该草稿已过期，请让经办人重新提交。",
    en: "This draft has expired: ask its maker to submit it again.",
  },
  "not-found": {
    zh: "未找到，或您无权查看。请检查编号。",
    en: "Not found, or not visible to you. Check the number.",
  },
  "invalid-state": {
    zh: "当前状态不允许此操作，数据可能已被更新。请刷新后重试。",
    en: "The current state does not allow this; it may have changed. Refresh and try again.",
  },
  "not-holder": {
    zh: "只有该凭证的接收方才能签收或拒收。",
    en: "Only the piece's receiver may sign for or refuse it.",
  },
  "missing-role": {
    zh: "本机构在联盟中没有此操作所需的角色。",
    en: "Your institution lacks the consortium role this needs.",
  },
  forbidden: {
    zh: "不允许此操作。",
    en: "This action is not allowed.",
  },
  "invalid-input": {
    zh: "输入有误，请按提示修改后重试。",
    en: "Some input is invalid: correct it and try again.",
  },
  "chain-unavailable": {
    zh: "区块链节点暂时不可用，请稍后重试。",
    en: "The blockchain node is unavailable for now; try again shortly.",
  },
  "database-unavailable": {
    zh: "服务暂时不可用，请稍后重试。",
    en: "The service is unavailable for now; try again shortly.",
  },
  "transaction-reverted": {
    zh: "链上合约拒绝了此交易，详见说明。",
    en: "The contract refused the transaction; see the detail.",
  },
  // oversight screens
  "not-maker": {
    zh: "只有提交该操作的经办人本人可以查看它生成的密码或密钥。",
    en: "Only the person who submitted this act may read what it made.",
  },
  "already-revealed": {
    zh: "该操作生成的密码或密钥已被查看过，不能再次显示。如已遗失，请重新重置。",
    en: "What this act made was already shown and cannot be shown again. If it was lost, reset it again.",
  },
  "user-exists": {
    zh: "本机构已有同名用户，请换一个用户名。",
    en: "Your institution already has a user of that name: choose another username.",
  },
  "last-admin": {
    zh: "这是本机构最后一位可用的管理员，不能停用或取消其管理员角色。请先指定另一位管理员。",
    en: "This is your institution's last enabled admin: appoint another admin first.",
  },
  "foreign-participant": {
    zh: "只能管理本机构自己的人员与密钥。",
    en: "You may only manage your own institution's people and keys.",
  },
  "too-many-streams": {
    zh: "打开的实时通知连接过多，请关闭其他标签页后刷新。",
    en: "Too many live notification streams are open: close other tabs and reload.",
  },
  "already-approved": {
    zh: "您已批准过该提案。",
    en: "You have already approved this proposal.",
  },
  "not-approved": {
    zh: "您尚未批准该提案，无可撤回。",
    en: "You have not approved this proposal: there is nothing to withdraw.",
  },
  "not-proposer": {
    zh: "只有提议人可以撤销该提案。",
    en: "Only the proposer may cancel this proposal.",
  },
  "proposal-not-pending": {
    zh: "该提案已不在待批准状态（已执行、已撤销或已过期）。请刷新列表。",
    en: "This proposal is no longer pending (executed, cancelled or expired). Refresh the list.",
  },
  "proposal-expired": {
    zh: "该提案已过期，请重新提议。",
    en: "This proposal has expired: propose it again.",
  },
  "member-already-exists": {
    zh: "该地址已是联盟成员。",
    en: "That address is already a member.",
  },
  "legal-id-already-registered": {
    zh: "该统一社会信用代码已登记在另一成员名下。",
    en: "That legal id is already registered to another member.",
  },
  "invalid-member-status": {
    zh: "该成员当前状态不允许此操作（例如已暂停的成员不能再次暂停）。请刷新后重试。",
    en: "The member's status does not allow this (a suspended member cannot be suspended again). Refresh and try again.",
  },
  "unknown-member": {
    zh: "未找到该成员，请检查地址。",
    en: "No such member: check the address.",
  },
  network: {
    zh: "无法连接网关，请检查网络后重试。",
    en: "The gateway cannot be reached: check the network and try again.",
  },
  // sme screens
  "piece-not-transferable": {
    zh: "该凭证当前不能支付或融资（待签收、融资中、已融资或已到期）。",
    en: "This piece cannot pay or be financed now (pending, locked by financing, financed or due).",
  },
  "invalid-piece-state": {
    zh: "凭证的当前状态不允许此操作。请刷新后查看凭证状态。",
    en: "The piece's state does not allow this. Refresh and check its state.",
  },
  "not-sender": {
    zh: "只有发出该凭证的机构可以撤回。",
    en: "Only the institution that sent this piece may recall it.",
  },
  "value-below-minimum": {
    zh: "支付金额或保留金额低于联盟规定的最小凭证金额，请调整金额。",
    en: "The amount paid or kept is below the consortium's minimum piece value: change the amount.",
  },
  "depth-limit-exceeded": {
    zh: "该凭证已达到联盟允许的最大流转层级，不能再拆分支付。",
    en: "This piece is at the consortium's deepest tier: it cannot be split further.",
  },
  "debtor-cannot-hold": {
    zh: "付款方（核心企业）不能持有自己的应付凭证，请选择其他收款方。",
    en: "The debtor cannot hold its own receivable: choose another payee.",
  },
  "self-dealing": {
    zh: "不能支付给本机构自己。",
    en: "You cannot pay your own institution.",
  },
  "self-financing": {
    zh: "不能向本机构自己申请融资。",
    en: "You cannot ask your own institution for financing.",
  },
  "advance-above-value": {
    zh: "融资金额不能超过凭证金额。",
    en: "The advance cannot exceed the piece's value.",
  },
  "fees-above-advance": {
    zh: "费用不能超过融资金额。",
    en: "The fees cannot exceed the advance.",
  },
  "zero-advance": {
    zh: "融资金额必须大于零。",
    en: "The advance must be above zero.",
  },
  "invalid-funding-deadline": {
    zh: "最晚放款日须在今天之后、凭证到期日之前。请另选日期。",
    en: "The funding deadline must be after today and before the piece's due date. Choose another day.",
  },
  "funding-deadline-passed": {
    zh: "已过最晚放款日，该条件不能再放款或接受。",
    en: "The funding deadline has passed: these terms can no longer be accepted or funded.",
  },
  "invalid-financier-count": {
    zh: "请选择 1 至 5 家资金方。",
    en: "Choose one to five financiers.",
  },
  "duplicate-financier": {
    zh: "同一资金方只能选择一次。",
    en: "Each financier may be named once.",
  },
  "piece-due": {
    zh: "凭证已到期，不能再申请融资。",
    en: "The piece is due: it can no longer be financed.",
  },
  "invalid-request-status": {
    zh: "融资申请的当前状态不允许此操作（可能已接受、撤回或过期）。请刷新。",
    en: "The request's status does not allow this (it may be accepted, withdrawn or expired). Refresh.",
  },
  "not-requester": {
    zh: "只有融资申请方可以接受报价或撤回申请。",
    en: "Only the requester may accept an offer or withdraw the request.",
  },
  "request-expired": {
    zh: "融资申请已过期。可以用该凭证重新申请。",
    en: "The request has expired. You may ask again with the piece.",
  },
  "no-offer": {
    zh: "该资金方尚未报价。",
    en: "This financier has not made an offer.",
  },
  "offer-mismatch": {
    zh: "该资金方刚刚修改了报价。请刷新，查看新报价后再决定。",
    en: "The financier has just changed its offer. Refresh and decide on the new one.",
  },
  "evidence-already-attached": {
    zh: "该文件已作为此凭证的证据上链。",
    en: "This file is already anchored on the piece as evidence.",
  },
  "evidence-limit-reached": {
    zh: "该凭证的证据材料已达上限。",
    en: "This piece has as much evidence as it may hold.",
  },
  "evidence-is-document": {
    zh: "该文件是应收账款的发票（底层单据），不能再作为证据。",
    en: "This file is the receivable's own invoice: it cannot also be evidence.",
  },
  "document-not-uploaded": {
    zh: "文件未上传到网关。请重新上传。",
    en: "The file was not uploaded to the gateway. Upload it again.",
  },
  "document-too-large": {
    zh: "文件太大，请压缩或拆分后上传。",
    en: "The file is too large: compress or split it.",
  },
  "storage-quota-exceeded": {
    zh: "本机构的文件存储空间已用完，请联系网关运营方。",
    en: "Your institution's document storage is full: ask the gateway's operator.",
  },
  "unsupported-media-type": {
    zh: "不支持该文件类型，请上传 PDF、PNG、JPEG、XML、JSON 或 TXT。",
    en: "This file type is not accepted: upload a PDF, PNG, JPEG, XML, JSON or TXT file.",
  },
  "amount-too-precise": {
    zh: "金额的小数位数超过该币种允许的位数。",
    en: "The amount has more decimals than its currency allows.",
  },
  "amount-malformed": {
    zh: "金额格式不正确，请输入如 2500.00 的数字。",
    en: "The amount is not a number such as 2500.00.",
  },
  // story screens
  "insecure-page": {
    zh: "此页面不是安全连接，浏览器无法计算文件的 SHA-256。请通过 https（或本机地址）打开控制台。",
    en: "This page is not a secure context, so the browser cannot compute the file's SHA-256. Open the console over https (or on localhost).",
  },
  "document-hash-mismatch": {
    zh: "网关保存的文件与所选文件的 SHA-256 不一致（上传可能被篡改或中断）。请重新选择文件再试。",
    en: "The gateway stored a file whose SHA-256 differs from the one you picked (the upload was altered or cut). Pick the file again.",
  },
  "duplicate-document": {
    zh: "该发票已用于另一笔有效的应收账款，一张发票只能开立一次。",
    en: "This invoice already backs another live receivable: one invoice backs one receivable only.",
  },
  "currency-unknown": {
    zh: "联盟不接受该币种。请选择其他币种。",
    en: "The consortium does not accept this currency: choose another.",
  },
  "amount-out-of-range": {
    zh: "金额超出允许范围。",
    en: "The amount is out of range.",
  },
  "not-yet-due": {
    zh: "尚未到期，到期日起方可结算。",
    en: "Not due yet: settlement opens on the due date.",
  },
  "not-debtor": {
    zh: "只有该应收账款的付款方（核心企业）可以结算或撤销。",
    en: "Only the receivable's debtor may settle or cancel it.",
  },
  "not-payee": {
    zh: "只有当前待确认的收款方可以确认或异议此付款。",
    en: "Only the payee due to confirm may confirm or dispute this payment.",
  },
  "not-financier": {
    zh: "本机构不是该融资申请指定的资金方，或不是被接受报价的资金方。",
    en: "Your institution is not a financier this request names, or not the one whose offer was accepted.",
  },
  "offer-not-viable": {
    zh: "该报价不可行（放款额扣除费用后为零，或放款日不早于到期日）。请调整利率、费用或放款日。",
    en: "This offer is not viable (nothing left after fees, or funding not before the due date). Change the rate, fees or funding date.",
  },
  "calendar-not-covered": {
    zh: "日期超出该日历已知的年份（中国节假日安排尚未公布）。可改用“仅周末”日历。",
    en: "The date is outside the years this calendar knows (China's holidays are not published yet). Use the weekends calendar instead.",
  },
  "rate-invalid": {
    zh: "利率无效，请填写如 4.35 的百分数。",
    en: "The rate is invalid: write a percentage like 4.35.",
  },
  "number-not-exact": {
    zh: "数字须以文本精确填写，例如 4.35。",
    en: "Numbers must be written exactly, e.g. 4.35.",
  },
  // recourse screens
  "grace-period-running": {
    zh: "宽限期未满：到期日加宽限期之后才能标记逾期。",
    en: "The grace period is still running: a piece can be marked overdue only after its due date and grace period.",
  },
  "default-period-running": {
    zh: "违约观察期未满：逾期后再过违约期才能标记违约。",
    en: "The default period is still running: an overdue piece can be marked defaulted only after it.",
  },
  "no-recourse": {
    zh: "该融资不是有追索权的保理，不能追索。",
    en: "This financing is not recourse factoring: recourse cannot be claimed.",
  },
  "missing-payment-ref": {
    zh: "请填写支付流水号。",
    en: "Give the payment's reference.",
  },  // erp screens
  "confirmation-window-open": {
    zh: "收款方的确认期尚未结束：期满后收款方仍未确认或异议，方可确认结清。",
    en: "The payee's confirmation window is still open: you may finalize only once it has passed without a confirmation or dispute.",
  },
  "payment-ref-disputed": {
    zh: "收款方已对该支付流水号提出异议，请使用新的支付流水号重新结算。",
    en: "The payee disputed this payment reference: settle again with another reference.",
  },
  "piece-not-in-slot": {
    zh: "所列凭证不属于该应收账款。请检查应收编号与凭证编号。",
    en: "A piece listed is not of that receivable: check the receivable and piece numbers.",
  },
  "batch-invalid": {
    zh: "无法按行读取该批次：请检查类型与列名（可下载模板）、文件编码须为 UTF-8，且行数在 1 至 10,000 之间。",
    en: "The batch cannot be read as lines: check its kind and columns (download the template), UTF-8 text, and 1 to 10,000 lines.",
  },
  "batch-rejected": {
    zh: "批次中有被拒绝的行，整批未执行。请修改后重新提交。",
    en: "Some lines were refused, so nothing of the batch was done. Correct them and send it again.",
  },
  "idempotency-conflict": {
    zh: "该批次编号已用于另一份内容不同的批次。请换一个批次编号，或提交原文件。",
    en: "This batch key was already used for a batch with other lines: choose another key, or send the original file.",
  },
  "body-too-large": {
    zh: "文件太大（至多 8 MiB）。请拆分为几个批次。",
    en: "The file is too large (8 MiB at most): split it into several batches.",
  },
  "malformed-body": {
    zh: "文件不是有效的 JSON。请检查格式或改用 CSV。",
    en: "The file is not valid JSON: check it, or use CSV.",
  },
  "validation-error": {
    zh: "内容不符合要求，详见说明。",
    en: "Some content is invalid; see the detail.",
  },
  "period-invalid": {
    zh: "对账期间无效：起止日期须为有效日期，起始不晚于截止，且不超过一年。",
    en: "The period is invalid: two valid dates, the first not after the last, at most a year apart.",
  },
  "time-zone-unknown": {
    zh: "时区无效，请在页头选择其他时区。",
    en: "The time zone is unknown: choose another in the header.",
  },
  "export-format-unknown": {
    zh: "不支持该下载格式。",
    en: "This download format is not offered.",
  },
  "sso-failed": {
    zh: "单点登录失败（身份提供方拒绝或其答复无效）。请重试，或使用用户名和密码登录。",
    en: "Single sign-on failed (the identity provider refused, or its answer did not hold). Try again, or sign in with your password.",
  },
  "sso-state-invalid": {
    zh: "单点登录已过期或不是在此浏览器开始的。请重新点击“使用单点登录”。",
    en: "The single sign-on expired or was begun in another browser: start it again.",
  },
  "sso-unknown-user": {
    zh: "身份提供方确认的人员不是本机构的有效用户。请联系本机构管理员创建用户。",
    en: "The identity provider vouched for someone who is no active user of the institution: ask its admin to create the user.",
  },
  // setoff screens
  "setoff-round-invalid": {
    zh: "该轮次与账本现状不符（计划中的凭证已变化、已被其他轮次占用或金额不平衡），未发送任何交易。请刷新清分计划后重新发起。",
    en: "The round no longer fits the ledger (a planned piece changed, is in another round, or the amounts do not balance); nothing was sent. Reload the plan and propose again.",
  },
  "round-closed": {
    zh: "该轮次已结束（已被拒绝或已执行），不能再答复或执行。请刷新查看其状态。",
    en: "This round is closed (refused or already executed): it can no longer be answered or executed. Reload to see its status.",
  },
  "consents-missing": {
    zh: "尚有当事方未同意，本轮还不能执行。请等待各方同意后再执行。",
    en: "Not every party has consented yet: the round cannot execute. Wait for every party's consent.",
  },
  "piece-changed-since-plan": {
    zh: "本轮中的某笔凭证自发起后已变化（转让、拆分、融资或结算），本轮不能执行，任何凭证都未改变。请按新计划重新发起。",
    en: "A piece of this round changed since it was proposed (moved, split, financed or settled): the round cannot execute and nothing changed. Propose a round of a new plan.",
  },
  "round-lapsed": {
    zh: "本轮已过答复截止时间（链上时间），不能再同意、拒绝或执行。请按新计划重新发起。",
    en: "The round's deadline has passed (chain time): it can no longer be answered or executed. Propose a round of a new plan.",
  },
  "already-answered": {
    zh: "本机构已答复过该轮次。请刷新查看。",
    en: "Your institution has already answered this round. Reload to see it.",
  },
  "not-round-party": {
    zh: "本机构不是该轮次的当事方，不能答复。",
    en: "Your institution is not a party to this round: it cannot answer it.",
  },
  "invalid-round-deadline": {
    zh: "答复期限无效：须晚于当前链上时间，且不超过 30 天。",
    en: "The deadline is invalid: it must be after the chain's current time and at most 30 days ahead.",
  },
  "invalid-round-size": {
    zh: "一轮清分须有 1 至 32 笔。",
    en: "A round has 1 to 32 items.",
  },
  "round-unbalanced": {
    zh: "各方放弃的应收与减少的应付不相等，合约拒绝了本轮。请刷新清分计划后重新发起。",
    en: "What a party gives up does not equal the debt it sheds: the contract refused the round. Reload the plan and propose again.",
  },
  "pieces-not-ascending": {
    zh: "轮次中的凭证须按编号升序排列。",
    en: "A round lists its pieces in ascending order.",
  },
  "piece-not-nettable": {
    zh: "轮次中的某笔凭证不能清分（未签收、已锁定、已融资或已到期）。请刷新清分计划。",
    en: "A piece of the round cannot be netted (not signed for, locked, financed or due). Reload the plan.",
  },
  "unknown-round": {
    zh: "链上没有该轮次。请检查编号。",
    en: "The chain has no such round. Check its number.",
  },
};

/** The sentence for a problem in `lang`: the mapped one, or the problem's title and detail. */
export function problemSentence(problem: Problem, lang: Lang): string {
  const known = SENTENCES[slugOf(problem)];
  if (known !== undefined) {
    return known[lang];
  }
  return problem.detail ? `${problem.title}: ${problem.detail}` : problem.title;
}

/** A problem from whatever a failed call left: a problem document, or a network error. */
export function asProblem(error: unknown, status = 0): Problem {
  if (error instanceof ProblemError) {
    return error.problem;
  }
  if (typeof error === "object" && error !== null && "type" in error && "title" in error) {
    return error as Problem;
  }
  return { type: "network", title: "Network error", status, detail: String(error) };
}

/** The data of an openapi-fetch answer, or a ProblemError with its problem. */
export function must<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined && answer.response.ok) {
    return answer.data;
  }
  throw new ProblemError(asProblem(answer.error, answer.response.status));
}
