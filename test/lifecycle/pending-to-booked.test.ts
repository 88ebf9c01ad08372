import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { consents } from '../../db/schema';
import { connectionView, createConnection, syncNow } from '../../services/connections';
import { startStack, type Stack } from '../helpers/stack';
import { storedAccounts, storedTransactions, waitFor, waitForStatus } from './helpers';

const DAY = 86_400_000;

describe.each(['same-id', 'new-id'] as const)(
  'pending → booked when the bank issues %s on booking',
  (pendingToBooked) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ settings: { pendingToBooked } });
    });
    afterAll(async () => stack?.stop());

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
      const [account] = storedAccounts(stack, created.id);
      const bankConsentId = stack.database.db
        .select()
        .from(consents)
        .where(eq(consents.connectionId, created.id))
        .get()!.bankConsentId;
      const bank = stack.sandbox.banks.bec.state;
      const bankList = () =>
        bank.transactions(bankConsentId, account.resourceId, { bookingStatus: 'both', dateFrom: '2000-01-01' });
      const bankIds = () =>
        bankList()
          .map((t) => t.transactionId)
          .sort();
      // The bank serves a rolling two-year window; we keep what falls off its far end.
      const ourIds = () => {
        const oldest = bankList()
          .map((t) => t.bookingDate ?? t.transactionDate)
          .sort()[0];
        return storedTransactions(stack, account.id)
          .filter((t) => t.date >= oldest)
          .map((t) => t.bankTransactionId)
          .sort();
      };

      const pendingBefore = storedTransactions(stack, account.id).filter((t) => t.bookingStatus === 'pending');
      expect(pendingBefore.length).toBeGreaterThan(0);
      expect(ourIds()).toEqual(bankIds());

      // Days pass at the bank: pending transactions book (or vanish) and new ones arrive.
      for (let day = 0; day < 4; day++) {
        stack.sandbox.clock.advance(DAY);
        await syncNow(stack.deps, created.id, '192.0.2.1');
        expect(ourIds()).toEqual(bankIds());
      }
      const rows = storedTransactions(stack, account.id);
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
  },
);
