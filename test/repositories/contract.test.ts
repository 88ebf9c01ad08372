/**
 * The repository contract: the same tests against every backend (repositories/sqlite and
 * repositories/pg), so that the API behaves alike on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, title, type Backend } from './backends';

const T0 = 1_760_000_000_000;

for (const backend of backends()) {
  describe.skipIf(Boolean(backend.skip))(`repositories: ${title(backend)}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await backend.open();
      await b.insert('connections', [
        connection('con_1', 'cus_a', T0),
        connection('con_2', 'cus_a', T0 + 10),
        // Same createdAt: the id breaks the tie, bytewise ('con_B' < 'con_a').
        connection('con_a', 'cus_b', T0 + 20),
        connection('con_B', 'cus_b', T0 + 20),
      ]);
      await b.insert('consents', [
        {
          id: 'cst_1',
          connectionId: 'con_1',
          bankConsentId: 'bank-1',
          status: 'valid',
          validUntil: '2026-03-01',
          frequencyPerDay: 4,
          recurringIndicator: true,
        },
      ]);
      await b.insert('accounts', [
        account('acc_2', 'con_1', T0 + 1),
        account('acc_1', 'con_1', T0 + 1),
        account('acc_0', 'con_1', T0 + 2),
        account('acc_x', 'con_a', T0),
      ]);
    });
    afterAll(async () => {
      await b?.close();
    });

    it('answers ping', async () => {
      await expect(b.repositories.ping()).resolves.toBeUndefined();
    });

    describe('connections', () => {
      it('gets one with its current consent’s validUntil, and nothing for an unknown id', async () => {
        // Set the current consent after the fact, as the activities do.
        await b.insert('connections', [
          {
            ...connection('con_3', 'cus_c', T0 + 30),
            currentConsentId: 'cst_1',
            lastError: 'boom',
            lastSyncAt: T0 + 5,
          },
        ]);
        expect(await b.repositories.connections.get('con_3')).toEqual({
          id: 'con_3',
          customerId: 'cus_c',
          aspspId: 'bec',
          status: 'active',
          statusReason: null,
          validUntil: '2026-03-01',
          lastSyncAt: T0 + 5,
          nextSyncAt: null,
          lastError: 'boom',
          createdAt: T0 + 30,
          deletedAt: null,
        });
        expect((await b.repositories.connections.get('con_1'))?.validUntil).toBeNull();
        expect(await b.repositories.connections.get('con_nope')).toBeUndefined();
      });

      it('lists a customer’s connections newest first, ties by id descending (bytewise)', async () => {
        expect((await b.repositories.connections.listByCustomer('cus_a')).map((c) => c.id)).toEqual(['con_2', 'con_1']);
        expect((await b.repositories.connections.listByCustomer('cus_b')).map((c) => c.id)).toEqual(['con_a', 'con_B']);
        expect(await b.repositories.connections.listByCustomer('cus_none')).toEqual([]);
      });

      it('lists several customers’ connections (null: every customer’s) in the same order, never a deleted one', async () => {
        await b.insert('connections', [
          { ...connection('con_gone', 'cus_a', T0 + 40), status: 'revoked', deletedAt: T0 + 50 },
        ]);
        await b.insert('accounts', [account('acc_gone', 'con_gone', T0 + 41)]);
        expect((await b.repositories.connections.get('con_gone'))?.deletedAt).toBe(T0 + 50);
        // Its accounts go with it.
        expect(await b.repositories.accounts.get('acc_gone')).toBeUndefined();
        const ids = async (customers: string[] | null) =>
          (await b.repositories.connections.listByCustomers(customers, { limit: 50 })).items.map((c) => c.id);
        expect(await ids(['cus_a', 'cus_b'])).toEqual(['con_a', 'con_B', 'con_2', 'con_1']);
        expect(await ids(['cus_b', 'cus_none'])).toEqual(['con_a', 'con_B']);
        expect(await ids([])).toEqual([]);
        expect(await ids(null)).toEqual(expect.arrayContaining(['con_a', 'con_B', 'con_2', 'con_1']));
        expect(await ids(null)).not.toContain('con_gone');
        expect((await b.repositories.connections.listByCustomer('cus_a')).map((c) => c.id)).toEqual(['con_2', 'con_1']);
        // Pages of two: the cursor is the last row's place; the last page has no next.
        const first = await b.repositories.connections.listByCustomers(['cus_a', 'cus_b'], { limit: 2 });
        expect(first.items.map((c) => c.id)).toEqual(['con_a', 'con_B']);
        const second = await b.repositories.connections.listByCustomers(['cus_a', 'cus_b'], {
          limit: 2,
          after: first.next,
        });
        expect(second.items.map((c) => c.id)).toEqual(['con_2', 'con_1']);
        expect(second.next).toBeUndefined();
      });
    });

    describe('accounts', () => {
      it('gets an account with its customer, and lists a connection’s oldest first (ties by id)', async () => {
        const got = await b.repositories.accounts.get('acc_1');
        expect(got).toEqual({
          customerId: 'cus_a',
          account: {
            id: 'acc_1',
            connectionId: 'con_1',
            resourceId: 'res-acc_1',
            kind: 'account',
            iban: 'DK5000400440116243',
            maskedPan: null,
            currency: 'DKK',
            name: 'Main',
            product: null,
            status: 'active',
          },
        });
        expect(await b.repositories.accounts.get('acc_nope')).toBeUndefined();
        expect((await b.repositories.accounts.listByConnection('con_1')).map((a) => a.id)).toEqual([
          'acc_1',
          'acc_2',
          'acc_0',
        ]);
      });

      it('gives the latest balances per account ordered by type, and the history newest first', async () => {
        await b.insert('balances', [
          balance('acc_1', 'interimAvailable', '10.00'),
          balance('acc_1', 'closingBooked', '9.00'),
          balance('acc_2', 'expected', '1.00'),
        ]);
        await b.insert('balanceHistory', [
          { accountId: 'acc_1', balanceType: 'closingBooked', amount: '8.00', currency: 'DKK', fetchedAt: T0 },
          { accountId: 'acc_1', balanceType: 'closingBooked', amount: '9.00', currency: 'DKK', fetchedAt: T0 + 5 },
          { accountId: 'acc_1', balanceType: 'interimAvailable', amount: '10.00', currency: 'DKK', fetchedAt: T0 + 5 },
        ]);
        const latest = await b.repositories.accounts.latestBalances(['acc_1', 'acc_2', 'acc_0']);
        expect([...latest.keys()].sort()).toEqual(['acc_1', 'acc_2']);
        expect(latest.get('acc_1')!.map((x) => [x.balanceType, x.amount])).toEqual([
          ['closingBooked', '9.00'],
          ['interimAvailable', '10.00'],
        ]);
        expect(latest.get('acc_2')![0]).toEqual({
          accountId: 'acc_2',
          balanceType: 'expected',
          amount: '1.00',
          currency: 'DKK',
          referenceDate: null,
          lastChangeDateTime: null,
          creditLimitIncluded: false,
          fetchedAt: T0 + 5,
        });
        expect((await b.repositories.accounts.latestBalances([])).size).toBe(0);
        // Newest first; equal fetchedAt: the later insert first.
        expect((await b.repositories.accounts.balanceHistory('acc_1')).map((h) => h.amount)).toEqual([
          '10.00',
          '9.00',
          '8.00',
        ]);
      });

      it('pages transactions by (date desc, id desc) with status and date filters', async () => {
        await b.insert('transactions', [
          tx('tx_a', '2025-01-03', 'booked'),
          tx('tx_B', '2025-01-03', 'booked'),
          tx('tx-c', '2025-01-03', 'pending'),
          tx('tx_d', '2025-01-02', 'booked'),
          tx('tx_e', '2025-01-01', 'booked'),
          { ...tx('tx_f', '2025-01-10', 'pending'), additionalInformation: 'Dankort 1234', description: 'Groceries' },
        ]);
        const page = (q: Partial<Parameters<Backend['repositories']['accounts']['transactions']>[1]>) =>
          b.repositories.accounts
            .transactions('acc_1', { status: 'all', limit: 100, ...q })
            .then((rows) => rows.map((r) => r.id));
        // Bytewise: 'tx-c' < 'tx_B' < 'tx_a'.
        expect(await page({})).toEqual(['tx_f', 'tx_a', 'tx_B', 'tx-c', 'tx_d', 'tx_e']);
        expect(await page({ status: 'booked' })).toEqual(['tx_a', 'tx_B', 'tx_d', 'tx_e']);
        expect(await page({ status: 'pending' })).toEqual(['tx_f', 'tx-c']);
        expect(await page({ from: '2025-01-02', to: '2025-01-03' })).toEqual(['tx_a', 'tx_B', 'tx-c', 'tx_d']);
        // Walk the cursor two at a time: every row once, in order.
        const seen: string[] = [];
        let after: { date: string; id: string } | undefined;
        for (;;) {
          const rows = await b.repositories.accounts.transactions('acc_1', { status: 'all', limit: 2, after });
          if (!rows.length) break;
          seen.push(...rows.map((r) => r.id));
          after = { date: rows.at(-1)!.date, id: rows.at(-1)!.id };
        }
        expect(seen).toEqual(['tx_f', 'tx_a', 'tx_B', 'tx-c', 'tx_d', 'tx_e']);
        const [first] = await b.repositories.accounts.transactions('acc_1', { status: 'all', limit: 1 });
        expect(first).toEqual({
          id: 'tx_f',
          bookingStatus: 'pending',
          date: '2025-01-10',
          bookingDate: null,
          valueDate: '2025-01-10',
          transactionDate: null,
          amount: '-12.50',
          currency: 'DKK',
          creditorName: 'Shop',
          debtorName: null,
          remittanceInformation: 'Groceries',
          additionalInformation: 'Dankort 1234',
          description: 'Groceries',
          entryReference: null,
        });
        const [other] = await b.repositories.accounts.transactions('acc_1', { status: 'booked', limit: 1 });
        expect(other).toMatchObject({ id: 'tx_a', additionalInformation: null, description: null });
      });
    });

    describe('webhooks', () => {
      const secret = (n: number) => ({ keyId: `k${n}`, value: `enc-${n}` });
      const endpoint = (id: string, at: number, extra: Partial<{ events: string[]; customerIds: string[] }> = {}) => ({
        id,
        url: `https://hooks.example.com/${id}`,
        description: null,
        events: extra.events ?? null,
        customerIds: extra.customerIds ?? null,
        secret: secret(1),
        at,
      });

      it('creates an endpoint and shows it without its secret; lists newest first, ties by id descending (bytewise)', async () => {
        const hooks = b.repositories.webhooks;
        const created = await hooks.createEndpoint({
          ...endpoint('we_a', T0, { events: ['transactions.updated'], customerIds: ['cus_a', 'cus_b'] }),
          description: 'Ledger',
        });
        expect(created).toEqual({
          id: 'we_a',
          url: 'https://hooks.example.com/we_a',
          description: 'Ledger',
          events: ['transactions.updated'],
          customerIds: ['cus_a', 'cus_b'],
          status: 'enabled',
          disabledReason: null,
          previousSecretExpiresAt: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await hooks.findEndpoint('we_a')).toEqual(created);
        expect(await hooks.findEndpoint('we_nope')).toBeUndefined();
        await hooks.createEndpoint(endpoint('we_B', T0));
        await hooks.createEndpoint(endpoint('we_c', T0 - 1));
        const listed = await hooks.listEndpoints();
        expect(listed.map((e) => e.id)).toEqual(['we_a', 'we_B', 'we_c']);
        expect(listed[1]).toMatchObject({ events: null, customerIds: null, description: null });
      });

      it('rotates the secret: the current one becomes the previous, until the time given', async () => {
        const hooks = b.repositories.webhooks;
        await hooks.createEndpoint(endpoint('we_rot', T0));
        await hooks.rotateSecret('we_rot', secret(2), T0 + 1000, T0 + 5);
        expect(await hooks.findEndpoint('we_rot')).toMatchObject({
          previousSecretExpiresAt: T0 + 1000,
          updatedAt: T0 + 5,
        });
        const row = (await b.select('webhookEndpoints')).find((r) => r.id === 'we_rot');
        expect(row).toMatchObject({
          keyId: 'k2',
          secretEnc: 'enc-2',
          previousKeyId: 'k1',
          previousSecretEnc: 'enc-1',
          previousExpiresAt: T0 + 1000,
        });
      });

      it('deletes an endpoint: no longer found or listed, and neither rotated nor deleted again', async () => {
        const hooks = b.repositories.webhooks;
        await hooks.createEndpoint(endpoint('we_del', T0 + 50));
        await hooks.deleteEndpoint('we_del', T0 + 60);
        expect(await hooks.findEndpoint('we_del')).toBeUndefined();
        expect((await hooks.listEndpoints()).map((e) => e.id)).not.toContain('we_del');
        await hooks.rotateSecret('we_del', secret(3), T0 + 1000, T0 + 70);
        await hooks.deleteEndpoint('we_del', T0 + 80);
        await hooks.deleteEndpoint('we_nope', T0 + 80);
        const row = (await b.select('webhookEndpoints')).find((r) => r.id === 'we_del');
        expect(row).toMatchObject({ keyId: 'k1', previousKeyId: null, deletedAt: T0 + 60, updatedAt: T0 + 60 });
      });

      it('lists an endpoint’s deliveries by event time descending (ties by id), filtered by status, and finds one', async () => {
        const hooks = b.repositories.webhooks;
        await hooks.createEndpoint(endpoint('we_d1', T0));
        await hooks.createEndpoint(endpoint('we_d2', T0));
        await b.insert('webhookEvents', [
          event('evt_1', 'connection.updated', T0 + 1),
          event('evt_2', 'transactions.updated', T0 + 2),
          event('evt_3', 'transactions.updated', T0 + 2),
        ]);
        await b.insert('webhookDeliveries', [
          delivery('wd_1', 'evt_1', 'we_d1', 'succeeded'),
          { ...delivery('wd_b', 'evt_2', 'we_d1', 'failed'), attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500' },
          delivery('wd_A', 'evt_3', 'we_d1', 'pending'),
          delivery('wd_x', 'evt_1', 'we_d2', 'pending'),
        ]);
        const ids = (options: { limit: number; status?: 'pending' | 'succeeded' | 'failed' | 'cancelled' }) =>
          hooks.listDeliveries('we_d1', options).then((rows) => rows.map((r) => r.id));
        // Same event time: 'wd_b' > 'wd_A' bytewise.
        expect(await ids({ limit: 10 })).toEqual(['wd_b', 'wd_A', 'wd_1']);
        expect(await ids({ limit: 2 })).toEqual(['wd_b', 'wd_A']);
        expect(await ids({ limit: 10, status: 'pending' })).toEqual(['wd_A']);
        expect(await ids({ limit: 10, status: 'cancelled' })).toEqual([]);
        expect(await hooks.listDeliveries('we_nope', { limit: 10 })).toEqual([]);
        expect(await hooks.findDelivery('we_d1', 'wd_b')).toEqual({
          id: 'wd_b',
          endpointId: 'we_d1',
          eventId: 'evt_2',
          eventType: 'transactions.updated',
          eventCreatedAt: T0 + 2,
          status: 'failed',
          attempts: 3,
          redeliveries: 0,
          lastStatusCode: 500,
          lastError: 'HTTP 500',
          lastAttemptAt: null,
          nextAttemptAt: null,
          createdAt: T0 + 3,
        });
        expect(await hooks.findDelivery('we_d2', 'wd_b')).toBeUndefined();
        expect(await hooks.findDelivery('we_d1', 'wd_nope')).toBeUndefined();
      });

      it('keeps an event’s payload byte for byte', async () => {
        const payload = '{"zeta":1, "alpha":{"b":[1,"x",null]},"id":"evt_p"}';
        await b.insert('webhookEvents', [{ ...event('evt_p', 'connection.updated', T0), payload }]);
        expect((await b.select('webhookEvents')).find((r) => r.id === 'evt_p')!.payload).toBe(payload);
      });
    });

    describe('api keys', () => {
      it('creates, finds by hash, touches, lists and revokes; refuses a second key with the same hash', async () => {
        const keys = b.repositories.apiKeys;
        await keys.create({ id: 'key_1', name: 'one', keyHash: 'h1', customerIds: null, scopes: null });
        await keys.create({
          id: 'key_2',
          name: 'two',
          keyHash: 'h2',
          customerIds: ['cus_a', 'cus_b'],
          scopes: ['connections:read'],
        });
        await expect(
          keys.create({ id: 'key_3', name: 'dup', keyHash: 'h1', customerIds: null, scopes: null }),
        ).rejects.toThrow();
        const one = await keys.findByHash('h1');
        expect(one).toMatchObject({ id: 'key_1', name: 'one', customerIds: null, scopes: null, revokedAt: null });
        expect(typeof one!.createdAt).toBe('number');
        expect(one!.createdAt).toBeGreaterThan(T0);
        expect(await keys.findByHash('h2')).toMatchObject({
          customerIds: ['cus_a', 'cus_b'],
          scopes: ['connections:read'],
        });
        expect(await keys.findByHash('nope')).toBeUndefined();
        await keys.touchLastUsed('key_1', T0 + 7);
        expect((await keys.findByHash('h1'))!.lastUsedAt).toBe(T0 + 7);
        expect(await keys.revoke('key_2', T0 + 8)).toBe(true);
        expect(await keys.revoke('key_nope', T0 + 8)).toBe(false);
        const listed = await keys.list();
        expect(listed.map((k) => [k.id, k.revokedAt]).sort()).toEqual([
          ['key_1', null],
          ['key_2', T0 + 8],
        ]);
      });
    });

    describe('idempotency', () => {
      it('reserves once, completes, replays the response as stored and keeps answered records', async () => {
        const store = b.repositories.idempotency;
        expect(await store.reserve('key_1', 'k1', 'hash', T0)).toBe(true);
        expect(await store.reserve('key_1', 'k1', 'other', T0 + 1)).toBe(false);
        expect(await store.reserve('key_2', 'k1', 'hash', T0)).toBe(true);
        expect(await store.find('key_1', 'k1')).toEqual({
          requestHash: 'hash',
          statusCode: null,
          response: null,
          createdAt: T0,
        });
        const response = { zeta: 1, alpha: { b: [1, 'x', null], a: true }, id: 'con_1' };
        await store.complete('key_1', 'k1', 201, response);
        const found = await store.find('key_1', 'k1');
        expect(found).toEqual({ requestHash: 'hash', statusCode: 201, response, createdAt: T0 });
        expect(JSON.stringify(found!.response)).toBe(JSON.stringify(response));
        await store.release('key_1', 'k1');
        expect(await store.find('key_1', 'k1')).toBeDefined();
        await store.release('key_2', 'k1');
        expect(await store.find('key_2', 'k1')).toBeUndefined();
        expect(await store.find('key_9', 'nope')).toBeUndefined();
      });

      it('takes over only an unanswered reservation older than the limit', async () => {
        const store = b.repositories.idempotency;
        await store.reserve('key_1', 'k2', 'hash', T0);
        expect(await store.takeOver('key_1', 'k2', T0, T0 + 100)).toBe(false);
        expect(await store.takeOver('key_1', 'k2', T0 + 1, T0 + 100)).toBe(true);
        expect((await store.find('key_1', 'k2'))!.createdAt).toBe(T0 + 100);
        expect(await store.takeOver('key_1', 'k2', T0 + 1, T0 + 200)).toBe(false);
        await store.complete('key_1', 'k2', 200, { ok: true });
        expect(await store.takeOver('key_1', 'k2', T0 + 1000, T0 + 300)).toBe(false);
        expect(await store.takeOver('key_1', 'missing', T0 + 1000, T0 + 300)).toBe(false);
      });

      it('grants one of many concurrent reservations and takeovers of one key', async () => {
        const store = b.repositories.idempotency;
        const reserved = await Promise.all(Array.from({ length: 8 }, () => store.reserve('key_1', 'k3', 'hash', T0)));
        expect(reserved.filter(Boolean)).toHaveLength(1);
        const taken = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.takeOver('key_1', 'k3', T0 + 1, T0 + 10 + i)),
        );
        expect(taken.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}

function connection(id: string, customerId: string, createdAt: number) {
  return {
    id,
    customerId,
    aspspId: 'bec',
    status: 'active',
    redirectUrl: 'https://example.com/back',
    createdAt,
    updatedAt: createdAt,
  };
}

function account(id: string, connectionId: string, createdAt: number) {
  return {
    id,
    connectionId,
    resourceId: `res-${id}`,
    kind: 'account',
    iban: 'DK5000400440116243',
    currency: 'DKK',
    name: 'Main',
    createdAt,
    updatedAt: createdAt,
  };
}

function balance(accountId: string, balanceType: string, amount: string) {
  return { accountId, balanceType, amount, currency: 'DKK', creditLimitIncluded: false, fetchedAt: T0 + 5 };
}

function tx(id: string, date: string, bookingStatus: 'booked' | 'pending') {
  return {
    id,
    accountId: 'acc_1',
    bankTransactionId: `bank-${id}`,
    fingerprint: `fp-${id}`,
    bookingStatus,
    bookingDate: bookingStatus === 'booked' ? date : null,
    valueDate: date,
    date,
    amount: '-12.50',
    currency: 'DKK',
    creditorName: 'Shop',
    remittanceInformation: 'Groceries',
    raw: { transactionId: `bank-${id}` },
    firstSeenAt: T0,
    updatedAt: T0,
  };
}

function event(id: string, type: string, createdAt: number) {
  return { id, type, customerId: 'cus_a', subjectId: 'con_1', payload: JSON.stringify({ id, type }), createdAt };
}

function delivery(id: string, eventId: string, endpointId: string, status: string) {
  return { id, eventId, endpointId, status, createdAt: T0 + 3, updatedAt: T0 + 3 };
}
