import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionView, createConnection, syncNow } from '../../services/connections';
import { describeEachBackend } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { storedAccounts, storedTransactions, waitFor, waitForStatus } from './helpers';

const DAY = 86_400_000;

describeEachBackend('pending → booked', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => stack?.stop());

  describe.each(['same-id', 'new-id'] as const)('when the bank issues %s on booking', (pendingToBooked) => {
    beforeAll(() => stack.sandbox.banks.bec.state.updateSettings({ pendingToBooked }));

    it("keeps exactly the bank's transactions: one row each, pending rows become booked or vanish", async () => {
      const created = await createConnection(stack.deps, {
        customerId: 'c-pb',
        aspspId: 'bec',
        redirectUrl: 'https://p.example/r',
        psuIpAddress: '192.0.2.1',
      });
      await stack.psu(created.authorisationUrl, 'approve', 'bec-psu-1');
      await waitForStatus(stack, created.id, 'active');
      await waitFor('first sync', async () => (await connectionView(stack.deps, created.id)).lastSyncAt);
      const [account] = await storedAccounts(stack, created.id);
      const [{ bankConsentId }] = await stack.db.select('consents', { connectionId: created.id });
      const bank = stack.sandbox.banks.bec.state;
      const bankList = () =>
        bank.transactions(bankConsentId, account.resourceId, { bookingStatus: 'both', dateFrom: '2000-01-01' });
      const bankIds = () =>
        bankList()
          .map((t) => t.transactionId)
          .sort();
      // The bank serves a rolling two-year window; we keep what falls off its far end.
      const ourIds = async () => {
        const oldest = bankList()
          .map((t) => t.bookingDate ?? t.transactionDate)
          .sort()[0];
        return (await storedTransactions(stack, account.id))
          .filter((t) => t.date >= oldest)
          .map((t) => t.bankTransactionId)
          .sort();
      };

      const pendingBefore = (await storedTransactions(stack, account.id)).filter((t) => t.bookingStatus === 'pending');
      expect(pendingBefore.length).toBeGreaterThan(0);
      expect(await ourIds()).toEqual(bankIds());

      // Days pass at the bank: pending transactions book (or vanish) and new ones arrive.
      for (let day = 0; day < 4; day++) {
        stack.sandbox.clock.advance(DAY);
        await syncNow(stack.deps, created.id, '192.0.2.1');
        expect(await ourIds()).toEqual(bankIds());
      }
      const rows = await storedTransactions(stack, account.id);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const survivors = pendingBefore.filter((p) => byId.has(p.id));
      // Our row id survives booking; the bank's id changes only under new-id.
      expect(survivors.length).toBeGreaterThan(0);
      for (const p of survivors) {
        const now = byId.get(p.id)!;
        expect(now.bookingStatus).toBe('booked');
        if (pendingToBooked === 'same-id') expect(now.bankTransactionId).toBe(p.bankTransactionId);
        else expect(now.bankTransactionId).not.toBe(p.bankTransactionId);
      }
      expect(new Set(rows.map((r) => r.bankTransactionId)).size).toBe(rows.length);
    });
  });
});
