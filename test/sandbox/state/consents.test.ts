import { describe, expect, it } from 'vitest';
import { isoToDay } from '../../../sandbox/data/calendar';
import { approvedConsent, DAY_MS, makeBank, START } from './fixtures';

const base = {
  tppOrgId: 'PSDDK-DFSA-12345678',
  access: { allPsd2: 'allAccounts' },
  recurringIndicator: true,
  frequencyPerDay: 4,
  combinedServiceIndicator: false,
};
const daysBetween = (from: string, to: string) => isoToDay(to)! - isoToDay(from)!;

describe('consent lifecycle', () => {
  it('goes received → valid on approval and received → rejected on denial', () => {
    const { state } = makeBank('bec');
    const created = state.createConsent({
      ...base,
      bankId: '0400',
      validUntil: '2026-06-01',
      redirectUri: 'https://tpp.example/ok',
      nokRedirectUri: 'https://tpp.example/nok',
    });
    expect(created).toMatchObject({
      status: 'received',
      bank: 'bec',
      bankId: '0400',
      validUntil: '2026-06-01',
      lastActionDate: '2026-03-15',
    });
    expect(created.consentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toMatch(/^2026-03-15T09:00/);
    const valid = state.decideConsent(created.consentId, 'bec-psu-1', 'approve');
    expect(valid).toMatchObject({ status: 'valid', psuId: 'bec-psu-1' });
    expect(state.getConsent(created.consentId)!.status).toBe('valid');

    const other = state.createConsent({ ...base, validUntil: '2026-06-01' });
    expect(state.decideConsent(other.consentId, 'bec-psu-2', 'deny').status).toBe('rejected');
    expect(() => state.accounts(other.consentId)).toThrow(expect.objectContaining({ code: 'CONSENT_INVALID' }));
    // a decided consent cannot be decided again
    expect(() => state.decideConsent(other.consentId, 'bec-psu-2', 'approve')).toThrow(
      expect.objectContaining({ code: 'STATUS_INVALID' }),
    );
  });

  it('refuses unknown consents and PSUs', () => {
    const { state } = makeBank('bec');
    expect(state.getConsent('nope')).toBeUndefined();
    expect(() => state.decideConsent('nope', 'bec-psu-1', 'approve')).toThrow(
      expect.objectContaining({ code: 'CONSENT_UNKNOWN' }),
    );
    const created = state.createConsent({ ...base, validUntil: '2026-06-01' });
    expect(() => state.decideConsent(created.consentId, 'rocker-psu-1', 'approve')).toThrow(
      expect.objectContaining({ code: 'PSU_CREDENTIALS_INVALID' }),
    );
    expect(state.getConsent(created.consentId)!.status).toBe('received');
    expect(() => state.revokeConsent('nope', 'tpp')).toThrow(expect.objectContaining({ code: 'CONSENT_UNKNOWN' }));
    expect(() => state.countAccess('nope', 'accounts', false)).toThrow(
      expect.objectContaining({ code: 'CONSENT_UNKNOWN' }),
    );
  });

  it('is revoked by the PSU or terminated by the TPP, and stays so', () => {
    const { state } = makeBank('bec');
    const a = approvedConsent(state);
    const b = approvedConsent(state);
    expect(state.revokeConsent(a, 'psu').status).toBe('revokedByPsu');
    expect(state.revokeConsent(b, 'tpp').status).toBe('terminatedByTpp');
    expect(state.revokeConsent(b, 'psu').status).toBe('terminatedByTpp');
    expect(() => state.accounts(a)).toThrow(expect.objectContaining({ code: 'CONSENT_INVALID' }));
  });

  it('caps validUntil at the bank maximum: BEC 180 days, Enfuce 90 days', () => {
    const bec = makeBank('bec').state.createConsent({ ...base, validUntil: '9999-12-31' });
    expect(daysBetween('2026-03-15', bec.validUntil)).toBe(180);
    const becShort = makeBank('bec').state.createConsent({ ...base, validUntil: '2026-04-01' });
    expect(becShort.validUntil).toBe('2026-04-01');
    for (const bank of ['enfuce-rocker', 'enfuce-st1'] as const) {
      const { state } = makeBank(bank);
      const record = state.createConsent({ ...base, validUntil: '2027-01-01' });
      expect(daysBetween('2026-03-15', record.validUntil)).toBe(90);
      expect(state.getConsent(record.consentId)!.validUntil).toBe(record.validUntil);
    }
  });

  it('rejects a malformed or past validUntil and a bad frequencyPerDay', () => {
    const { state } = makeBank('bec');
    expect(() => state.createConsent({ ...base, validUntil: '2026-13-01' })).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'validUntil' }),
    );
    expect(() => state.createConsent({ ...base, validUntil: '2026-03-14' })).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'validUntil' }),
    );
    expect(() => state.createConsent({ ...base, validUntil: '2026-04-01', frequencyPerDay: 0 })).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'frequencyPerDay' }),
    );
    // today is allowed
    expect(state.createConsent({ ...base, validUntil: '2026-03-15' }).validUntil).toBe('2026-03-15');
  });

  it('expires by the clock after its validUntil date, which is inclusive', () => {
    const { state, clock } = makeBank('bec');
    const consentId = approvedConsent(state, { validUntil: '2026-03-20' });
    clock.set(new Date('2026-03-20T23:59:59Z'));
    expect(state.getConsent(consentId)!.status).toBe('valid');
    expect(state.accounts(consentId)).toHaveLength(2);
    clock.advance(1000);
    const expired = state.getConsent(consentId)!;
    expect(expired.status).toBe('expired');
    expect(expired.lastActionDate).toBe('2026-03-21');
    expect(() => state.accounts(consentId)).toThrow(expect.objectContaining({ code: 'CONSENT_EXPIRED' }));
    // and stays expired if the clock is set back
    clock.set(START);
    expect(state.getConsent(consentId)!.status).toBe('expired');
  });

  it('returns copies, so callers cannot change the stored record', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    state.getConsent(consentId)!.status = 'rejected';
    expect(state.getConsent(consentId)!.status).toBe('valid');
  });
});

describe('frequency counting', () => {
  it('counts per consent, per endpoint and per clock day, and refuses beyond frequencyPerDay', () => {
    const { state, clock } = makeBank('bec');
    const a = approvedConsent(state, { frequencyPerDay: 2 });
    const b = approvedConsent(state, { frequencyPerDay: 2 });
    expect(state.countAccess(a, 'accounts', false)).toEqual({ allowed: true, used: 1 });
    expect(state.countAccess(a, 'accounts', false)).toEqual({ allowed: true, used: 2 });
    expect(state.countAccess(a, 'accounts', false)).toEqual({ allowed: false, used: 2 });
    // another endpoint and another consent have their own budgets
    expect(state.countAccess(a, 'balances', false)).toEqual({ allowed: true, used: 1 });
    expect(state.countAccess(b, 'accounts', false)).toEqual({ allowed: true, used: 1 });
    // PSU-present requests are never counted nor refused
    expect(state.countAccess(a, 'accounts', true)).toEqual({ allowed: true, used: 2 });
    expect(state.countAccess(a, 'balances', true)).toEqual({ allowed: true, used: 1 });
    expect(state.countAccess(a, 'balances', false)).toEqual({ allowed: true, used: 2 });
    // the next UTC day starts afresh (the clock started at 09:00 UTC)
    clock.advance(15 * 3_600_000);
    expect(state.countAccess(a, 'accounts', false)).toEqual({ allowed: true, used: 1 });
    clock.advance(-DAY_MS);
    expect(state.countAccess(a, 'accounts', false)).toEqual({ allowed: true, used: 1 });
  });

  it('still counts but always allows when enforcement is off', () => {
    const { state } = makeBank('enfuce-rocker');
    const a = approvedConsent(state, { frequencyPerDay: 1 });
    expect(state.countAccess(a, 'transactions', false)).toEqual({ allowed: true, used: 1 });
    expect(state.countAccess(a, 'transactions', false)).toEqual({ allowed: false, used: 1 });
    state.updateSettings({ enforceFrequencyPerDay: false });
    expect(state.countAccess(a, 'transactions', false)).toEqual({ allowed: true, used: 2 });
    expect(state.countAccess(a, 'transactions', false)).toEqual({ allowed: true, used: 3 });
    state.updateSettings({ enforceFrequencyPerDay: true });
    expect(state.countAccess(a, 'transactions', false)).toEqual({ allowed: false, used: 3 });
  });
});

describe('account access under a consent', () => {
  it('honours explicit account lists per service', () => {
    const { state } = makeBank('bec');
    const [current, savings] = state.accounts(approvedConsent(state)).map((a) => a.iban!);
    const consentId = approvedConsent(state, {
      access: { accounts: [{ iban: current }, { iban: savings }], balances: [{ iban: current }], transactions: [] },
    });
    const accounts = state.accounts(consentId);
    expect(accounts.map((a) => a.iban)).toEqual([current, savings]);
    expect(state.balances(consentId, accounts[0].resourceId)).toHaveLength(3);
    expect(() => state.balances(consentId, accounts[1].resourceId)).toThrow(
      expect.objectContaining({ code: 'CONSENT_INVALID' }),
    );
    // next to named accounts, an empty list grants nothing
    expect(() =>
      state.transactions(consentId, accounts[1].resourceId, { bookingStatus: 'booked', dateFrom: '2026-01-01' }),
    ).toThrow(expect.objectContaining({ code: 'CONSENT_INVALID' }));
    // only empty lists: bank-offered, every account for the services listed
    const offered = approvedConsent(state, { access: { accounts: [], transactions: [] } });
    const offeredAccounts = state.accounts(offered);
    expect(offeredAccounts).toHaveLength(2);
    expect(
      state.transactions(offered, offeredAccounts[1].resourceId, { bookingStatus: 'booked', dateFrom: '2026-01-01' })
        .length,
    ).toBeGreaterThan(0);
    expect(() => state.balances(offered, offeredAccounts[1].resourceId)).toThrow(
      expect.objectContaining({ code: 'CONSENT_INVALID' }),
    );
    const withBalance = approvedConsent(state, { access: { availableAccountsWithBalance: 'allAccounts' } });
    expect(state.balances(withBalance, state.accounts(withBalance)[0].resourceId)).toHaveLength(3);

    const one = approvedConsent(state, { access: { balances: [{ iban: savings.replace(/(.{4})/g, '$1 ') }] } });
    expect(state.accounts(one).map((a) => a.iban)).toEqual([savings]);

    const listOnly = approvedConsent(state, { access: { availableAccounts: 'allAccounts' } });
    const listed = state.accounts(listOnly);
    expect(listed).toHaveLength(2);
    expect(() => state.balances(listOnly, listed[0].resourceId)).toThrow(
      expect.objectContaining({ code: 'CONSENT_INVALID' }),
    );
    expect(() => state.balances(listOnly, 'no-such-account')).toThrow(
      expect.objectContaining({ code: 'RESOURCE_UNKNOWN' }),
    );
    expect(state.account(listOnly, 'no-such-account')).toBeUndefined();
    expect(state.account(listOnly, listed[1].resourceId)).toEqual(listed[1]);
  });

  it('matches card accounts by masked PAN however it is spaced', () => {
    const { state } = makeBank('enfuce-rocker');
    const consentId = approvedConsent(state, {
      access: { accounts: [{ maskedPan: '524378******8693' }], balances: [{ maskedPan: '524378******8693' }] },
    });
    const [card] = state.accounts(consentId);
    expect(card.maskedPan).toBe('5243 78** **** 8693');
    expect(state.balances(consentId, card.resourceId).map((b) => b.balanceType)).toEqual([
      'interimAvailable',
      'interimBooked',
    ]);
    const other = approvedConsent(state, { access: { accounts: [{ maskedPan: '524378******0000' }] } });
    expect(state.accounts(other)).toEqual([]);
  });

  it('keeps resourceIds stable across consents by default, and per consent when configured', () => {
    const { state } = makeBank('bec');
    const idsOf = (consentId: string) => state.accounts(consentId).map((a) => a.resourceId);
    const first = idsOf(approvedConsent(state));
    expect(idsOf(approvedConsent(state))).toEqual(first);
    state.updateSettings({ resourceIdsPerConsent: true });
    const c1 = approvedConsent(state);
    const c2 = approvedConsent(state);
    expect(idsOf(c1)).not.toEqual(first);
    expect(idsOf(c2)).not.toEqual(idsOf(c1));
    expect(idsOf(c1)).toEqual(idsOf(c1));
    // and the data behind a per-consent id is the same account's
    const tx1 = state.transactions(c1, idsOf(c1)[0], { bookingStatus: 'booked', dateFrom: '2026-01-01' });
    const tx2 = state.transactions(c2, idsOf(c2)[0], { bookingStatus: 'booked', dateFrom: '2026-01-01' });
    expect(tx1).toEqual(tx2);
    // another consent's resourceId is unknown here
    expect(() => state.balances(c2, idsOf(c1)[0])).toThrow(expect.objectContaining({ code: 'RESOURCE_UNKNOWN' }));
  });
});

describe('settings', () => {
  it('start from the documented defaults and refuse values of the wrong kind', () => {
    const { state } = makeBank('bec', { settings: undefined });
    expect(state.settings).toEqual({
      pendingToBooked: 'same-id',
      resourceIdsPerConsent: false,
      accessTokenTtlMs: 3_600_000,
      refreshTokenTtlMs: 90 * DAY_MS,
      transactionsPageSize: 100,
      enforceFrequencyPerDay: true,
    });
    state.updateSettings({ transactionsPageSize: 25, pendingToBooked: 'new-id' });
    expect(state.settings).toMatchObject({
      transactionsPageSize: 25,
      pendingToBooked: 'new-id',
      accessTokenTtlMs: 3_600_000,
    });
    for (const bad of [
      { transactionsPageSize: 0 },
      { accessTokenTtlMs: '60' },
      { pendingToBooked: 'sometimes' },
      { enforceFrequencyPerDay: 'yes' },
      { colour: 'blue' },
    ]) {
      expect(() => state.updateSettings(bad as never)).toThrow(
        expect.objectContaining({ code: 'FORMAT_ERROR', path: Object.keys(bad)[0] }),
      );
    }
    expect(state.settings.transactionsPageSize).toBe(25);
  });
});
