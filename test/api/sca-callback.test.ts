import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type ApiDeps } from '../../api/app';
import { openDatabase, type OpenDatabase } from '../../db/client';
import { authorisations, connections, consents } from '../../db/schema';
import { AppMetrics } from '../../metrics/registry';
import { TokenCipher } from '../../secrets/token-cipher';
import type { Repositories } from '../../repositories';
import { sqliteRepositories } from '../../repositories/sqlite';
import { handlePsuCallback, ConnectionInputError } from '../../services/connections';
import {
  handleScaCallback,
  productRedirect,
  ScaCallbackError,
  ScaSubjectRegistry,
  type ScaCallbackNotice,
  type ScaSession,
  type ScaSubjectHandler,
} from '../../services/sca-sessions';
import { connectionScaSubject, createScaSubjects } from '../../services/sca-subjects';
import { hashState } from '../../xs2a/oauth/pkce';
import { testLogger } from '../helpers/logger';

/** GET /callback routed by SCA session: connections as before, payments through a registered handler. */

const NOW = 1_800_000_000_000;

interface Signal {
  workflowId: string;
  name: string;
  payload: unknown;
}

/** What the fake connection workflow answers to psuReturned: an outcome, never, or Temporal away. */
interface WorkflowAnswer {
  outcome?: string;
  hang?: boolean;
  unavailable?: boolean;
}

function unavailable(): Error {
  return Object.assign(new Error('14 UNAVAILABLE: connection refused'), { name: 'ServiceError', code: 14 });
}

function fakeTemporal(signals: Signal[], answer: WorkflowAnswer): Client {
  return {
    connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async (def: string | { name: string }, payload: unknown) => {
          signals.push({ workflowId, name: typeof def === 'string' ? def : def.name, payload });
        },
        startUpdate: async (def: { name: string }, options: { args: unknown[] }) => {
          if (answer.unavailable) throw unavailable();
          signals.push({ workflowId, name: def.name, payload: options.args[0] });
          return {
            result: () =>
              answer.hang
                ? new Promise(() => undefined)
                : Promise.resolve({ outcome: answer.outcome ?? 'approved', status: 'active' }),
          };
        },
      }),
    },
  } as unknown as Client;
}

describe('SCA sessions on GET /callback', () => {
  let database: OpenDatabase;
  let cipher: TokenCipher;
  let signals: Signal[];
  let answer: WorkflowAnswer;
  let paymentNotices: { session: ScaSession; notice: ScaCallbackNotice }[];
  let apps: FastifyInstance[];
  let deps: {
    repositories: Repositories;
    temporal: Client;
    cipher: TokenCipher;
    now: () => number;
    psuOutcomeWaitMs: number;
  };

  const paymentSubject: ScaSubjectHandler = {
    async notify(_deps, session, notice) {
      paymentNotices.push({ session, notice });
    },
    redirectTo(_deps, session, outcome) {
      return productRedirect('https://shop.example/paid?order=7', 'paymentId', session.subjectId, outcome);
    },
  };

  function app(scaSubjects?: ScaSubjectRegistry): FastifyInstance {
    const built = buildApp({
      ...deps,
      logger: testLogger(),
      metrics: new AppMetrics(),
      ...(scaSubjects ? { scaSubjects } : {}),
    } as unknown as ApiDeps);
    apps.push(built);
    return built;
  }

  function session(state: string, values: Partial<typeof authorisations.$inferInsert>): string {
    const id = `auth_${randomBytes(6).toString('hex')}`;
    database.db
      .insert(authorisations)
      .values({
        id,
        subjectType: 'payment',
        subjectId: 'pay_1',
        stateHash: hashState(state),
        keyId: cipher.activeKeyId,
        expiresAt: NOW + 60_000,
        createdAt: NOW,
        ...values,
      })
      .run();
    return id;
  }

  const row = (id: string) => database.db.select().from(authorisations).where(eq(authorisations.id, id)).get()!;

  beforeEach(() => {
    database = openDatabase(':memory:');
    cipher = new TokenCipher(new Map([['k1', randomBytes(32)]]));
    signals = [];
    answer = {};
    paymentNotices = [];
    apps = [];
    deps = {
      repositories: sqliteRepositories(database.db),
      temporal: fakeTemporal(signals, answer),
      cipher,
      now: () => NOW,
      psuOutcomeWaitMs: 200,
    };
    database.db
      .insert(connections)
      .values({
        id: 'con_1',
        customerId: 'cust_1',
        aspspId: 'bec',
        status: 'awaiting_authorisation',
        redirectUrl: 'https://product.example/done',
      })
      .run();
    database.db
      .insert(consents)
      .values({
        id: 'cns_1',
        connectionId: 'con_1',
        bankConsentId: 'bank-1',
        status: 'received',
        validUntil: '2027-01-01',
        frequencyPerDay: 4,
        recurringIndicator: true,
      })
      .run();
  });

  afterEach(async () => {
    for (const a of apps) await a.close();
    database.close();
  });

  it("a connection's session asks its workflow (psuReturned) and redirects with connectionId, on reloads too", async () => {
    const id = session('conn-state', {
      subjectType: 'connection',
      subjectId: 'con_1',
      connectionId: 'con_1',
      consentId: 'cns_1',
    });
    const api = app();
    const url = '/callback?state=conn-state&code=the-code';
    const first = await api.inject({ method: 'GET', url, remoteAddress: '192.0.2.10' });
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe('https://product.example/done?connectionId=con_1&outcome=approved');
    const stored = row(id);
    expect(stored.outcome).toBe('approved');
    expect(stored.psuIpAddress).toBe('192.0.2.10');
    expect(stored.codeEnc).not.toContain('the-code');
    expect(cipher.decrypt(stored.keyId, stored.codeEnc!, `${id}:code`)).toBe('the-code');
    // The PSU's address stays in the session row: the workflow hears only the outcome.
    const notice = { authorisationId: id, outcome: 'approved' };
    expect(signals).toEqual([{ workflowId: 'connection:con_1', name: 'psuReturned', payload: notice }]);

    const reload = await api.inject({ method: 'GET', url, remoteAddress: '192.0.2.10' });
    expect(reload.headers.location).toBe(first.headers.location);
    expect(signals).toHaveLength(2);
    expect(signals[1]).toEqual(signals[0]);

    // The services' entry point answers the same, with the connection's id.
    const again = await handlePsuCallback(deps, { state: 'conn-state', code: 'the-code' });
    expect(again).toMatchObject({ connectionId: 'con_1', subjectType: 'connection', outcome: 'approved' });
  });

  it("a payment's session goes to the registered payment handler and redirects with paymentId", async () => {
    const id = session('pay-state', {});
    const api = app(
      new ScaSubjectRegistry().register('connection', connectionScaSubject).register('payment', paymentSubject),
    );
    const res = await api.inject({ method: 'GET', url: '/callback?state=pay-state&error=access_denied' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://shop.example/paid?order=7&paymentId=pay_1&outcome=denied');
    expect(signals).toEqual([]);
    expect(paymentNotices.map((n) => [n.session.id, n.notice])).toEqual([
      [id, { authorisationId: id, outcome: 'denied', error: 'access_denied' }],
    ]);
    expect(row(id)).toMatchObject({
      outcome: 'denied',
      error: 'access_denied',
      codeEnc: null,
      psuIpAddress: '127.0.0.1',
    });
  });

  const connectionSession = (state: string) =>
    session(state, { subjectType: 'connection', subjectId: 'con_1', connectionId: 'con_1', consentId: 'cns_1' });

  it('the PSU is told the workflow’s real outcome, and pending (never approved) when it does not answer in time', async () => {
    connectionSession('early-state');
    const api = app();
    answer.outcome = 'pending'; // e.g. BEC: back before deciding, the consent still received
    const early = await api.inject({ method: 'GET', url: '/callback?state=early-state' });
    expect(early.headers.location).toBe('https://product.example/done?connectionId=con_1&outcome=pending');
    answer.outcome = 'error'; // e.g. Enfuce: another session's code, refused by the bank
    const refused = await api.inject({ method: 'GET', url: '/callback?state=early-state&code=c' });
    expect(refused.headers.location).toBe('https://product.example/done?connectionId=con_1&outcome=error');
    answer.outcome = undefined;
    answer.hang = true;
    const slow = await api.inject({ method: 'GET', url: '/callback?state=early-state' });
    expect(slow.statusCode).toBe(302);
    expect(slow.headers.location).toBe('https://product.example/done?connectionId=con_1&outcome=pending');
  });

  it('during a Temporal outage the PSU gets a page to retry; the answer is saved and a reload hands it on', async () => {
    const id = connectionSession('outage-state');
    const api = app();
    answer.unavailable = true;
    const url = '/callback?state=outage-state&code=the-code';
    const during = await api.inject({ method: 'GET', url });
    expect(during.statusCode).toBe(503);
    expect(during.headers['content-type']).toMatch(/^text\/html/);
    expect(during.headers['retry-after']).toBe('10');
    expect(during.body).toMatch(/saved/);
    expect(during.body).toMatch(/Try again/);
    expect(row(id).outcome).toBe('approved');
    answer.unavailable = false;
    const after = await api.inject({ method: 'GET', url });
    expect(after.statusCode).toBe(302);
    expect(after.headers.location).toBe('https://product.example/done?connectionId=con_1&outcome=approved');
    expect(signals.map((s) => s.name)).toEqual(['psuReturned']);
  });

  it('a session whose subject has no handler fails with a page and records nothing', async () => {
    const id = session('orphan-state', {});
    // Only connections are registered here: the payment session has no handler.
    const res = await app(new ScaSubjectRegistry().register('connection', connectionScaSubject)).inject({
      method: 'GET',
      url: '/callback?state=orphan-state&code=c',
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(row(id)).toMatchObject({ outcome: 'pending', codeEnc: null });
  });

  it('an expired or unknown state is a 404 page (no such authorisation session), a missing one a 400 page', async () => {
    session('old-state', { expiresAt: NOW - 1 });
    const api = app(
      new ScaSubjectRegistry().register('connection', connectionScaSubject).register('payment', paymentSubject),
    );
    for (const [url, status] of [
      ['/callback?state=old-state&code=c', 404],
      ['/callback?state=nobody', 404],
      ['/callback', 400],
    ] as const) {
      const res = await api.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    }
    expect(paymentNotices).toEqual([]);
    const subjects = new ScaSubjectRegistry().register('payment', paymentSubject);
    await expect(handleScaCallback(deps, subjects, { state: 'old-state' })).rejects.toBeInstanceOf(ScaCallbackError);
    await expect(handlePsuCallback({ ...deps, scaSubjects: subjects }, { state: 'old-state' })).rejects.toBeInstanceOf(
      ConnectionInputError,
    );
  });

  it('registers a subject type once', () => {
    expect(() => createScaSubjects().register('connection', paymentSubject)).toThrow(/already registered/);
    expect(() => createScaSubjects().register('payment', paymentSubject)).toThrow(/already registered/);
    expect(createScaSubjects().has('payment')).toBe(true);
  });
});
