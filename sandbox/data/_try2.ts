import { AccountLedger } from './ledger';
import { psusOf } from './psus';
const acc = psusOf('bec')[0]!.accounts[0]!;
for (let r = 0; r < 6; r++) {
  const now = new Date(Date.UTC(2026, 10, 21 + r * 1000));
  const l = new AccountLedger(`s${r}|bec|x|current`, acc);
  const t0 = performance.now();
  const n = l.transactions(now, { bookingStatus: 'both', dateFrom: '1900-01-01' }, 'same-id').length;
  const t1 = performance.now();
  l.balances(now);
  console.log(r, n, (t1 - t0).toFixed(1), (performance.now() - t1).toFixed(2));
}
