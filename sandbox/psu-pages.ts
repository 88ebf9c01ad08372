import { escapeHtml as e } from './http';
import type { ConsentRecord, PaymentRecord, TestPsu } from './state';

/** Server-rendered pages the PSU's browser sees: MitID for BEC, the card issuer's login for Enfuce. */

export type PageLook = 'mitid' | 'card-issuer';

export interface PageFrame {
  look: PageLook;
  /** "BEC (reg. no. 0400)", "Rocker", "ST1 Finance". */
  bankName: string;
  tppName: string;
  psus: TestPsu[];
  /** Pre-filled PSU id. */
  psu?: string;
  error?: string;
  /** Hidden form fields (Enfuce's OAuth parameters). */
  hidden?: Record<string, string>;
}

const STYLES: Record<PageLook, string> = {
  mitid: `body{font-family:Arial,sans-serif;background:#f3f5f8;margin:0}header{background:#0060e6;color:#fff;padding:16px 24px;font-weight:bold;font-size:20px}
main{max-width:520px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 4px #0002}
.err{background:#fde8e8;color:#a00;padding:8px;border-radius:4px}button{padding:10px 20px;margin-right:8px;border:0;border-radius:4px;font-size:15px}
button[value=approve]{background:#0060e6;color:#fff}button[value=deny]{background:#ddd}dt{font-weight:bold;margin-top:8px}`,
  'card-issuer': `body{font-family:Helvetica,sans-serif;background:#111;color:#eee;margin:0}header{background:#222;padding:16px 24px;font-size:20px;border-bottom:3px solid #f5a623}
main{max-width:520px;margin:24px auto;background:#1c1c1c;border-radius:12px;padding:24px}.err{background:#5a1a1a;padding:8px;border-radius:4px}
button{padding:10px 20px;margin-right:8px;border:0;border-radius:20px;font-size:15px}button[value=approve]{background:#f5a623;color:#111}dt{font-weight:bold;margin-top:8px}
input{background:#333;color:#eee;border:1px solid #555;padding:6px}`,
};

function describeAccess(access: unknown): string[] {
  if (!access || typeof access !== 'object') return ['(nothing)'];
  const a = access as Record<string, unknown>;
  const out: string[] = [];
  if (a.allPsd2) out.push('All your accounts: account details, balances and transactions');
  if (a.availableAccounts) out.push('The list of your accounts');
  if (a.availableAccountsWithBalance) out.push('The list of your accounts with balances');
  const refs = (k: string) => {
    const list = a[k];
    if (!Array.isArray(list)) return undefined;
    if (list.length === 0) return 'accounts you choose';
    return list.map((r: Record<string, unknown>) => String(r.iban ?? r.maskedPan ?? r.bban ?? '?')).join(', ');
  };
  const names: Record<string, string> = {
    accounts: 'Account details',
    balances: 'Balances',
    transactions: 'Transactions',
  };
  for (const k of ['accounts', 'balances', 'transactions']) {
    const v = refs(k);
    if (v) out.push(`${names[k]}: ${v}`);
  }
  return out.length ? out : ['(nothing)'];
}

function frame(f: PageFrame, title: string, details: string): string {
  const brand = f.look === 'mitid' ? `MitID &middot; ${e(f.bankName)}` : e(f.bankName);
  const psuOptions = f.psus.map((p) => `<li><code>${e(p.id)}</code> ${e(p.name)}</li>`).join('');
  const hidden = Object.entries(f.hidden ?? {})
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)} - ${e(f.bankName)}</title><style>${STYLES[f.look]}</style></head>
<body><header>${brand}</header><main>
<h1>${e(title)}</h1>
${f.error ? `<p class="err" role="alert">${e(f.error)}</p>` : ''}
<p><strong>${e(f.tppName)}</strong> asks for your approval.</p>
${details}
<form method="post">
${hidden}
<label>${f.look === 'mitid' ? 'MitID user' : 'Card holder id'} <input name="psu" value="${e(f.psu ?? f.psus[0]?.id ?? '')}"></label>
<p><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny">Deny</button></p>
</form>
<p><small>Sandbox test users:</small></p><ul>${psuOptions}</ul>
</main></body></html>`;
}

export function consentPage(f: PageFrame, consent: ConsentRecord): string {
  const grants = describeAccess(consent.access)
    .map((g) => `<li>${e(g)}</li>`)
    .join('');
  const details = `<dl>
<dt>Access</dt><dd><ul>${grants}</ul></dd>
<dt>Valid until</dt><dd>${e(consent.validUntil)}</dd>
<dt>Reads per day without you</dt><dd>${e(consent.frequencyPerDay)}</dd>
<dt>Recurring</dt><dd>${consent.recurringIndicator ? 'yes' : 'no (one-off)'}</dd>
</dl>`;
  return frame(f, 'Grant access to your accounts', details);
}

export function paymentPage(f: PageFrame, payment: PaymentRecord): string {
  const details = `<dl>
<dt>Amount</dt><dd>${e(payment.amount)} ${e(payment.currency)}</dd>
<dt>To</dt><dd>${e(payment.creditorName)}${payment.creditorIban ? ` (${e(payment.creditorIban)})` : ''}</dd>
<dt>From</dt><dd>${e(payment.debtorIban)}</dd>
<dt>Payment product</dt><dd>${e(payment.product)}</dd>
</dl>`;
  return frame(f, 'Approve payment', details);
}

/** A page with only a message: already decided, unknown consent, bad parameters. */
export function messagePage(look: PageLook, bankName: string, title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>${STYLES[look]}</style></head>
<body><header>${e(bankName)}</header><main><h1>${e(title)}</h1><p>${e(message)}</p></main></body></html>`;
}
