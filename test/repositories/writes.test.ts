/**
 * The write side of the repository contract (what the services, activities, dispatcher and
 * delivery activities store), the same tests against SQLite and PostgreSQL: upserts keyed by the
 * bank's ids, pending→booked, frequencyPerDay counters, tokens, consents and their history, SCA
 * sessions, payments, the webhook outbox written with the change it reports, deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Transaction } from '../../xs2a/operations/types';
import type { Repositories } from '../../repositories';
import { backends, title, type Backend } from './backends';

const T0 = 1_760_000_000_000;

const account = (resourceId: string, extra: Partial<Account> = {}): Account => ({
  resourceId,
  kind: 'account',
  currency: 'DKK',
  iban: `DK00${resourceId}`,
  ...extra,
});

const txn = (id: string | undefined, status: 'booked' | 'pending', extra: Partial<Transaction> = {}): Transaction => ({
  ...(id ? { transactionId: id } : {}),
  bookingStatus: status,
  ...(status === 'booked' ? { bookingDate: '2025-03-02' } : {}),
  transactionDate: '2025-03-01',
  transactionAmount: { amount: '-42.00', currency: 'DKK' },
  creditorName: 'Café',
  raw: { id },
  ...extra,
});

for (const backend of backends()) {
  describe.skipIf(Boolean(backend.skip))(`repositories, write side: ${title(backend)}`, () => {
    let b: Backend;
    let r: Repositories;
    beforeAll(async () => {
      b = await backend.open();
      r = b.repositories;
      for (const id of ['con_w', 'con_s', 'con_a', 'con_t'])
        expect(
          await r.connections.insert({
            id,
            customerId: 'cus_w',
            aspspId: 'bec',
            status: 'awaiting_authorisation',
            redirectUrl: 'https://p.example/r',
            frequencyPerDay: 4,
            createdAt: T0,
            updatedAt: T0,
          }),
        ).toBe(true);
    });
    afterAll(async () => {
      await b?.close();
    });

    const consent = (id: string, connectionId: string, status = 'received') => ({
      id,
      connectionId,
      bankConsentId: `bank-${id}`,
      status,
      validUntil: '2030-01-31',
      frequencyPerDay: 4,
      recurringIndicator: true,
      createdAt: T0,
      updatedAt: T0,
    });
    const session = (id: string, subjectId: string, extra: Record<string, unknown> = {}) => ({
      id,
      subjectType: 'connection' as const,
      subjectId,
      connectionId: subjectId,
      stateHash: `hash-${id}`,
      keyId: 'k1',
      codeVerifierEnc: 'verifier',
      expiresAt: T0 + 60_000,
      createdAt: T0,
      ...extra,
    });

    describe('connections and consents', () => {
      it('inserts a connection once (a retried create is no insert), and deletes one', async () => {
        const again = await r.connections.insert({
          id: 'con_w',
          customerId: 'other',
          aspspId: 'bec',
          status: 'active',
          redirectUrl: 'x',
        });
        expect(again).toBe(false);
        expect((await r.connections.row('con_w'))?.customerId).toBe('cus_w');
        await r.connections.insert({
          id: 'con_gone',
          customerId: 'c',
          aspspId: 'bec',
          status: 'active',
          redirectUrl: 'x',
        });
        await r.connections.delete('con_gone');
        expect(await r.connections.row('con_gone')).toBeUndefined();
        await r.connections.setPsuAddress('con_w', '192.0.2.9');
        expect((await r.connections.row('con_w'))?.psuIpAddress).toBe('192.0.2.9');
      });

      it('a consent goes in with its SCA session; its status changes are written once each, with history', async () => {
        await r.consents.insertWithSession(
          consent('cns_w', 'con_w'),
          session('auth_w', 'con_w', { consentId: 'cns_w' }),
        );
        expect((await r.scaSessions.findByStateHash('hash-auth_w'))?.consentId).toBe('cns_w');
        await r.consents.setStatus('cns_w', 'valid', T0 + 1);
        await r.consents.setStatus('cns_w', 'valid', T0 + 2); // the same status: nothing new
        await r.consents.setStatus('cns_w', 'terminatedByTpp', T0 + 3);
        expect(await r.consents.statusHistory('cns_w')).toEqual([
          { status: 'valid', at: T0 + 1 },
          { status: 'terminatedByTpp', at: T0 + 3 },
        ]);
        expect(await r.consents.get('cns_w')).toMatchObject({ authorisedAt: T0 + 1, endedAt: T0 + 3 });
        expect((await r.consents.listByConnection('con_w')).map((c) => c.id)).toEqual(['cns_w']);
        // A session with a state already used is refused, and its consent with it (one transaction).
        await expect(
          r.consents.insertWithSession(
            consent('cns_dup', 'con_w'),
            session('auth_dup', 'con_w', { stateHash: 'hash-auth_w' }),
          ),
        ).rejects.toThrow();
        expect(await r.consents.get('cns_dup')).toBeUndefined();
      });

      it('records the status, its webhook events and the audit event in one transaction, once per change', async () => {
        await r.consents.insertWithSession(consent('cns_s', 'con_s', 'valid'), session('auth_s', 'con_s'));
        await r.connections.activateConsent('con_s', 'cns_s', { validUntil: '2030-02-28', frequencyPerDay: 2 }, T0 + 1);
        expect(await r.connections.get('con_s')).toMatchObject({ validUntil: '2030-02-28' });
        expect(await r.consents.get('cns_s')).toMatchObject({ frequencyPerDay: 2 });

        const input = { connectionId: 'con_s', status: 'active' as const, lastSyncAt: 10, nextSyncAt: 20 };
        await r.connections.recordStatus(input, T0 + 2);
        // The workflow's activity retried after the commit: the row is already active, nothing new.
        await r.connections.recordStatus(input, T0 + 3);
        await r.connections.recordStatus({ connectionId: 'con_s', status: 'expiring_soon', reason: 'soon' }, T0 + 4);
        expect(await r.connections.row('con_s')).toMatchObject({
          status: 'expiring_soon',
          statusReason: 'soon',
          lastSyncAt: 10,
          nextSyncAt: 20,
          updatedAt: T0 + 4,
        });
        const events = (await r.webhooks.eventsOf('con_s')).map((e) => JSON.parse(e.payload));
        expect(events.map((e) => `${e.type} ${e.data.previousStatus ?? ''}->${e.data.status}`).sort()).toEqual([
          'connection.expiring_soon ->expiring_soon',
          'connection.status_changed active->expiring_soon',
          'connection.status_changed awaiting_authorisation->active',
        ]);
        expect(events.find((e) => e.type === 'connection.expiring_soon').data.validUntil).toBe('2030-02-28');
        const audit = await b.select('consentEvents', { connectionId: 'con_s' });
        expect(audit.map((e) => (e.detail as { to: string }).to)).toEqual(['active', 'expiring_soon']);

        // A write that fails after the event leaves neither the status nor the event.
        await b.exec(
          b.backend === 'sqlite'
            ? `CREATE TRIGGER fail_audit BEFORE INSERT ON consent_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END`
            : `CREATE FUNCTION fail_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql;
               CREATE TRIGGER fail_audit BEFORE INSERT ON consent_events FOR EACH ROW EXECUTE FUNCTION fail_audit()`,
        );
        try {
          await expect(
            r.connections.recordStatus({ connectionId: 'con_s', status: 'revoked' }, T0 + 5),
          ).rejects.toThrow(/audit refused|Failed query/);
        } finally {
          await b.exec(
            b.backend === 'sqlite' ? 'DROP TRIGGER fail_audit' : 'DROP TRIGGER fail_audit ON consent_events',
          );
        }
        expect((await r.connections.row('con_s'))?.status).toBe('expiring_soon');
        expect(await r.webhooks.eventsOf('con_s')).toHaveLength(3);
      });

      it('a sync run is written once per id; its completion and connection.sync_completed commit together', async () => {
        const run = {
          id: 'run_1',
          connectionId: 'con_s',
          consentId: 'cns_s',
          reason: 'first',
          psuPresent: true,
          startedAt: T0,
        };
        await r.connections.startSyncRun(run);
        await r.connections.startSyncRun({ ...run, reason: 'retried' });
        await r.connections.finishSyncRun('run_1', { endedAt: T0 + 9, outcome: 'ok', accounts: 2, bankCalls: 5 });
        expect(await r.connections.syncRuns('con_s')).toEqual([
          expect.objectContaining({ id: 'run_1', reason: 'first', psuPresent: true, outcome: 'ok', accounts: 2 }),
        ]);
        await r.connections.recordStatus({ connectionId: 'con_s', status: 'active', lastError: 'boom' }, T0 + 10);
        const done = { connectionId: 'con_s', syncRunId: 'run_1', accounts: 2, at: T0 + 11 };
        await r.connections.recordSyncCompleted({ ...done, transactions: { added: 3, updated: 1, removed: 0 } });
        await r.connections.recordSyncCompleted({ ...done, transactions: { added: 3, updated: 1, removed: 0 } });
        expect(await r.connections.row('con_s')).toMatchObject({ lastSyncAt: T0 + 11, lastError: null });
        const synced = (await r.webhooks.eventsOf('con_s')).filter((e) => e.type === 'connection.sync_completed');
        expect(synced).toHaveLength(1);
        expect(JSON.parse(synced[0].payload).data).toMatchObject({ status: 'active', syncRunId: 'run_1', accounts: 2 });
        await r.connections.recordEvent({ connectionId: 'con_s', consentId: null, event: 'tokens_refreshed' });
        expect((await b.select('consentEvents', { connectionId: 'con_s' })).map((e) => e.event)).toContain(
          'tokens_refreshed',
        );
      });
    });

    describe('SCA sessions, tokens, access counters', () => {
      it('closes a session only while it is pending, and every pending session of a subject', async () => {
        await r.scaSessions.insert(session('auth_p1', 'con_t'));
        await r.scaSessions.insert(session('auth_p2', 'con_t'));
        await r.scaSessions.update('auth_p1', { outcome: 'approved', codeEnc: 'code' });
        expect(await r.scaSessions.closeIfPending('auth_p1', { outcome: 'expired' })).toBe(false);
        expect(await r.scaSessions.closeIfPending('auth_p2', { outcome: 'expired', completedAt: T0 })).toBe(true);
        expect(await r.scaSessions.get('auth_p2')).toMatchObject({ outcome: 'expired', completedAt: T0 });
        await r.scaSessions.insert(session('auth_p3', 'con_t'));
        await r.scaSessions.closePendingOf('connection', 'con_t', { outcome: 'expired', codeVerifierEnc: null });
        expect(await r.scaSessions.get('auth_p3')).toMatchObject({ outcome: 'expired', codeVerifierEnc: null });
        expect(await r.scaSessions.get('auth_p1')).toMatchObject({ outcome: 'approved', codeEnc: 'code' });
        expect(await r.scaSessions.get('auth_none')).toBeUndefined();
      });

      it('stores one token row per connection, replaced on refresh, deleted on revoke', async () => {
        const row = {
          connectionId: 'con_t',
          consentId: 'cns_t',
          keyId: 'k1',
          accessTokenEnc: 'a1',
          refreshTokenEnc: 'r1',
          expiresAt: T0 + 1,
          refreshExpiresAt: null,
          updatedAt: T0,
        };
        await r.tokens.put(row);
        await r.tokens.put({ ...row, accessTokenEnc: 'a2', refreshTokenEnc: null, expiresAt: T0 + 2 });
        expect(await r.tokens.get('con_t')).toEqual({
          ...row,
          accessTokenEnc: 'a2',
          refreshTokenEnc: null,
          expiresAt: T0 + 2,
        });
        await r.tokens.delete('con_t');
        expect(await r.tokens.get('con_t')).toBeUndefined();
      });

      it('counts accesses per consent, endpoint and day up to the limit, never past it', async () => {
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await r.accessCounters.count('cns_c', 'accounts', '2025-03-01', 3));
        expect(results).toEqual([true, true, true, false]);
        expect(await r.accessCounters.count('cns_c', 'transactions:r1', '2025-03-01', 3)).toBe(true);
        expect(await r.accessCounters.count('cns_c', 'accounts', '2025-03-02', 3)).toBe(true);
        expect(await r.accessCounters.count('cns_c', 'accounts', '2025-03-02', 0)).toBe(false);
        expect(await r.accessCounters.counts('cns_c', '2025-03-01')).toEqual(
          new Map([
            ['accounts', 3],
            ['transactions:r1', 1],
          ]),
        );
      });
    });

    describe('accounts, balances, transactions', () => {
      it('keeps our account ids across new resourceIds (matched on IBAN); an account no longer listed is gone', async () => {
        const first = await r.accounts.upsertAccounts('con_a', [account('r1'), account('r2')], T0);
        const ids = [...first.values()].map((a) => a.id);
        // The next consent: new resourceIds for the same IBANs, one account closed.
        const second = await r.accounts.upsertAccounts(
          'con_a',
          [account('r1b', { iban: 'DK00r1', name: 'Main' })],
          T0 + 1,
        );
        expect(second.get('r1b')).toMatchObject({ id: ids[0], resourceId: 'r1b', name: 'Main', status: 'active' });
        const rows = await r.accounts.rows('con_a');
        expect(rows.map((a) => [a.id, a.status]).sort()).toEqual(
          [
            [ids[0], 'active'],
            [ids[1], 'gone'],
          ].sort(),
        );
        // The same list again (the usual sync): nothing is rewritten.
        await r.accounts.upsertAccounts('con_a', [account('r1b', { iban: 'DK00r1', name: 'Main' })], T0 + 2);
        expect((await r.accounts.rows('con_a')).map((a) => a.updatedAt)).toEqual([T0 + 1, T0 + 1]);
      });

      it('stores the latest balance per type and a history row only when it changed', async () => {
        const [acc] = await r.accounts.rows('con_a');
        const closing = (amount: string) => ({
          balanceType: 'closingBooked',
          balanceAmount: { amount, currency: 'DKK' },
        });
        await r.accounts.storeBalances(acc.id, [closing('1.00'), { ...closing('5.00'), balanceType: 'expected' }], T0);
        await r.accounts.storeBalances(acc.id, [closing('1.00')], T0 + 1);
        await r.accounts.storeBalances(acc.id, [closing('2.00')], T0 + 2);
        const latest = (await r.accounts.latestBalances([acc.id])).get(acc.id)!;
        expect(latest.map((x) => [x.balanceType, x.amount, x.fetchedAt])).toEqual([
          ['closingBooked', '2.00', T0 + 2],
          ['expected', '5.00', T0],
        ]);
        expect((await r.accounts.balanceHistory(acc.id)).map((h) => h.amount)).toEqual(['2.00', '5.00', '1.00']);
        // Both types change in one fetch: each row takes its own new values.
        await r.accounts.storeBalances(
          acc.id,
          [closing('3.00'), { ...closing('6.00'), balanceType: 'expected', creditLimitIncluded: true }],
          T0 + 3,
        );
        const both = (await r.accounts.latestBalances([acc.id])).get(acc.id)!;
        expect(both.map((x) => [x.balanceType, x.amount, x.fetchedAt, x.creditLimitIncluded])).toEqual([
          ['closingBooked', '3.00', T0 + 3, null],
          ['expected', '6.00', T0 + 3, true],
        ]);
      });

      it('stores each transaction once; a booked one with a new id takes over its pending row; vanished pending rows go', async () => {
        const [acc] = await r.accounts
          .upsertAccounts('con_a', [account('r9', { iban: 'DK00r9' })], T0)
          .then((m) => [...m.values()]);
        const first = await r.accounts.reconcileTransactions(
          acc.id,
          {
            booked: [txn('b1', 'booked')],
            pending: [txn('p1', 'pending'), txn('p2', 'pending', { creditorName: 'Bar' })],
          },
          T0,
        );
        expect(first).toMatchObject({ upserted: 3, inserted: 3, removed: 0, lastBookedDate: '2025-03-02' });
        const stored = await r.accounts.transactionRows(acc.id);
        const pendingRow = stored.find((t) => t.bankTransactionId === 'p1')!;
        // The same fetch again (a retried sync): nothing new.
        const again = await r.accounts.reconcileTransactions(
          acc.id,
          {
            booked: [txn('b1', 'booked')],
            pending: [txn('p1', 'pending'), txn('p2', 'pending', { creditorName: 'Bar' })],
          },
          T0 + 1,
        );
        expect(again).toMatchObject({ upserted: 0, inserted: 0, removed: 0 });
        // Unchanged rows are not rewritten; a changed text is (upsert counts only status, amount, date, keys).
        expect((await r.accounts.transactionRows(acc.id)).map((t) => t.updatedAt)).toEqual([T0, T0, T0]);
        await r.accounts.reconcileTransactions(
          acc.id,
          {
            booked: [txn('b1', 'booked', { description: 'Café Nord' })],
            pending: [txn('p1', 'pending'), txn('p2', 'pending', { creditorName: 'Bar' })],
          },
          T0 + 1,
        );
        const b1 = (await r.accounts.transactionRows(acc.id)).find((t) => t.bankTransactionId === 'b1')!;
        expect([b1.description, b1.updatedAt]).toEqual(['Café Nord', T0 + 1]);
        // p1 books under a new id; p2 vanished (a reversed authorisation).
        const booked = await r.accounts.reconcileTransactions(
          acc.id,
          { booked: [txn('b1', 'booked'), txn('b2', 'booked', { bookingDate: '2025-03-04' })], pending: [] },
          T0 + 2,
        );
        expect(booked).toMatchObject({ upserted: 1, inserted: 0, removed: 1, lastBookedDate: '2025-03-04' });
        const rows = await r.accounts.transactionRows(acc.id);
        expect(rows.map((t) => [t.bankTransactionId, t.bookingStatus]).sort()).toEqual([
          ['b1', 'booked'],
          ['b2', 'booked'],
        ]);
        expect(rows.find((t) => t.bankTransactionId === 'b2')!.id).toBe(pendingRow.id);
        // lastBookedDate only moves forward.
        await r.accounts.reconcileTransactions(
          acc.id,
          { booked: [txn('b0', 'booked', { bookingDate: '2025-01-01' })], pending: [] },
          T0 + 3,
        );
        expect((await r.accounts.rows('con_a')).find((a) => a.id === acc.id)?.lastBookedDate).toBe('2025-03-04');
        // Two equal purchases without ids on one day stay two rows.
        const coffee = txn(undefined, 'booked', { bookingDate: '2025-03-05', creditorName: 'Kiosk' });
        const counted = await r.accounts.reconcileTransactions(
          acc.id,
          { booked: [coffee, coffee], pending: [] },
          T0 + 4,
        );
        expect(counted.inserted).toBe(2);
      });

      it('of two equal pending purchases without ids, the one still listed pending is not the one that booked', async () => {
        const [acc] = await r.accounts
          .upsertAccounts('con_t', [account('r21', { iban: 'DK00r21' })], T0)
          .then((m) => [...m.values()]);
        const coffee = (text: string, status: 'booked' | 'pending', id?: string) =>
          txn(id, status, { creditorName: 'Kiosk', remittanceInformationUnstructured: text, raw: { text } });
        await r.accounts.reconcileTransactions(
          acc.id,
          // B goes in first: a choice by the order rows are read in would take B.
          { booked: [], pending: [coffee('B', 'pending'), coffee('A', 'pending')] },
          T0,
        );
        const before = await r.accounts.transactionRows(acc.id);
        const idOf = (text: string, rows: typeof before) => rows.find((t) => t.remittanceInformation === text)!.id;
        // A books under a new id; B is still pending.
        const result = await r.accounts.reconcileTransactions(
          acc.id,
          { booked: [coffee('A', 'booked', 'nb1')], pending: [coffee('B', 'pending')] },
          T0 + 1,
        );
        expect(result).toMatchObject({ inserted: 0, removed: 0 });
        const after = await r.accounts.transactionRows(acc.id);
        expect(after.map((t) => [t.remittanceInformation, t.bookingStatus]).sort()).toEqual([
          ['A', 'booked'],
          ['B', 'pending'],
        ]);
        expect([idOf('A', after), idOf('B', after)]).toEqual([idOf('A', before), idOf('B', before)]);
      });

      it("stores one sync's read of an account (balances and transactions) in one call", async () => {
        const [acc] = await r.accounts
          .upsertAccounts('con_t', [account('r20', { iban: 'DK00r20' })], T0)
          .then((m) => [...m.values()]);
        const reads = {
          balances: [{ balanceType: 'interimAvailable', balanceAmount: { amount: '7.00', currency: 'DKK' } }],
          transactions: { booked: [txn('s1', 'booked')], pending: [txn('s2', 'pending')] },
        };
        expect(await r.accounts.storeAccountReads(acc.id, reads, T0)).toMatchObject({
          upserted: 2,
          inserted: 2,
          removed: 0,
          lastBookedDate: '2025-03-02',
        });
        // The same read again: nothing new, the balance's fetchedAt moves, the booked date stays.
        expect(await r.accounts.storeAccountReads(acc.id, reads, T0 + 1)).toMatchObject({ upserted: 0, inserted: 0 });
        expect((await r.accounts.latestBalances([acc.id])).get(acc.id)!.map((b) => [b.amount, b.fetchedAt])).toEqual([
          ['7.00', T0 + 1],
        ]);
        expect((await r.accounts.transactionRows(acc.id)).map((t) => t.bankTransactionId).sort()).toEqual(['s1', 's2']);
        expect((await r.accounts.rows('con_t')).find((a) => a.id === acc.id)?.lastBookedDate).toBe('2025-03-02');
      });
    });

    describe('payments', () => {
      it('prepares the initiation with its SCA session, and records each status change with one event', async () => {
        await r.payments.create({
          id: 'pay_w',
          customerId: 'cus_w',
          aspspId: 'bec',
          product: 'sepa-credit-transfers',
          debtorIban: 'DK1',
          creditorIban: 'DK2',
          creditorName: 'C',
          amount: '1.00',
          currency: 'DKK',
          redirectUrl: 'https://p.example/paid',
          createdAt: T0,
        });
        await r.payments.prepareInitiation(
          {
            id: 'auth_pay',
            subjectType: 'payment',
            subjectId: 'pay_w',
            stateHash: 'hash-pay',
            keyId: 'k1',
            expiresAt: T0 + 1,
          },
          { initiationRequestId: 'req-1', authorisationId: 'auth_pay', keyId: 'k1', scaStateEnc: 'enc' },
          T0 + 1,
        );
        expect(await r.payments.row('pay_w')).toMatchObject({
          initiationRequestId: 'req-1',
          authorisationId: 'auth_pay',
          updatedAt: T0 + 1,
        });
        expect((await r.scaSessions.get('auth_pay'))?.subjectId).toBe('pay_w');
        await r.payments.update('pay_w', { initiationState: 'sent', bankPaymentId: 'bank-pay' }, T0 + 2);

        const status = { paymentId: 'pay_w', status: 'awaiting_authorisation' as const, bankStatus: 'RCVD' };
        await r.payments.recordStatus(status, T0 + 3);
        await r.payments.recordStatus({ ...status, status: 'pending', bankStatus: 'ACTC' }, T0 + 4);
        await r.payments.recordStatus({ ...status, status: 'pending', bankStatus: 'ACTC' }, T0 + 5);
        await r.payments.recordStatus({ ...status, status: 'completed', bankStatus: 'ACSC' }, T0 + 6);
        const row = await r.payments.get('pay_w');
        expect(row?.statusHistory.map((h) => `${h.status}/${h.bankStatus ?? ''}`)).toEqual([
          'awaiting_authorisation/',
          'awaiting_authorisation/RCVD',
          'pending/ACTC',
          'completed/ACSC',
        ]);
        const events = (await r.webhooks.eventsOf('pay_w')).map((e) => JSON.parse(e.payload).data);
        expect(events.map((e) => `${e.previousStatus}->${e.status}`).sort()).toEqual([
          'awaiting_authorisation->pending',
          'pending->completed',
        ]);
      });
    });

    describe('webhook outbox and deliveries', () => {
      it('dispatches each event once per endpoint and records attempts, counted in SQL', async () => {
        await r.webhooks.createEndpoint({
          id: 'whe_1',
          url: 'https://hooks.example/a',
          description: null,
          events: null,
          customerIds: null,
          secret: { keyId: 'k1', value: 'enc' },
          at: T0,
        });
        const event = {
          type: 'connection.status_changed' as const,
          key: 'k-1',
          customerId: 'cus_w',
          subjectId: 'con_hook',
          at: T0,
          data: {
            connectionId: 'con_hook',
            customerId: 'cus_w',
            aspspId: 'bec',
            status: 'active',
            previousStatus: 'x',
            reason: null,
          },
        };
        const id = await r.webhooks.enqueue(event);
        expect(await r.webhooks.enqueue(event)).toBe(id);
        expect((await r.webhooks.undispatchedEvents(100)).map((e) => e.id)).toContain(id);
        expect((await r.webhooks.activeEndpoints()).map((e) => e.id)).toEqual(['whe_1']);
        const delivery = { id: 'dlv_1', eventId: id, endpointId: 'whe_1' };
        await r.webhooks.createDeliveries([delivery]);
        await r.webhooks.createDeliveries([delivery]);
        await r.webhooks.markDispatched(id, T0 + 1);
        expect((await r.webhooks.undispatchedEvents(100)).map((e) => e.id)).not.toContain(id);

        await r.webhooks.updateDelivery(
          'dlv_1',
          { countAttempt: true, lastStatusCode: 500, nextAttemptAt: T0 + 5 },
          T0 + 2,
        );
        await r.webhooks.updateDelivery('dlv_1', { countAttempt: true, lastStatusCode: 503 }, T0 + 3);
        const loaded = await r.webhooks.loadDelivery('dlv_1');
        expect(loaded?.delivery).toMatchObject({
          attempts: 2,
          lastStatusCode: 503,
          nextAttemptAt: T0 + 5,
          updatedAt: T0 + 3,
        });
        expect(loaded?.event.id).toBe(id);
        expect(loaded?.endpoint.url).toBe('https://hooks.example/a');
        await r.webhooks.disableEndpointGone(
          'whe_1',
          'dlv_1',
          { countAttempt: true, status: 'failed', lastStatusCode: 410 },
          T0 + 4,
        );
        const gone = await r.webhooks.loadDelivery('dlv_1');
        expect(gone?.delivery).toMatchObject({ attempts: 3, status: 'failed' });
        expect(gone?.endpoint).toMatchObject({ status: 'disabled', disabledReason: 'the endpoint answered 410 Gone' });
        expect(await r.webhooks.activeEndpoints()).toEqual([]);
        expect(await r.webhooks.loadDelivery('dlv_none')).toBeUndefined();
      });

      it('records a ping once per id', async () => {
        await r.pings.record({ id: 'wf/1', message: 'hi', workflowId: 'wf' });
        await r.pings.record({ id: 'wf/1', message: 'again', workflowId: 'wf' });
        expect((await b.select('pings')).map((p) => p.message)).toEqual(['hi']);
      });
    });
  });
}
