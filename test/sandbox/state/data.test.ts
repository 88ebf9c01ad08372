import { describe, expect, it } from 'vitest';
import { isValidIban } from '../../../sandbox/data/iban';
import type { BankState, SandboxTransaction } from '../../../sandbox/state';
import { AccountLedger, HISTORY_DAYS } from '../../../sandbox/data/ledger';
import { psusOf } from '../../../sandbox/data/psus';
import { approvedConsent, DAY_MS, frozenClock, makeBank, specValidator, START } from './fixtures';

const ALL = { bookingStatus: 'both', dateFrom: '1990-01-01' } as const;
const AMOUNT = /^-?[0-9]{1,14}(\.[0-9]{1,3})?$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

function firstAccount(state: BankState, consentId: string) {
  return state.accounts(consentId)[0];
}

function isoDay(date: Date, offsetDays = 0): string {
  return new Date(date.getTime() + offsetDays * DAY_MS).toISOString().slice(0, 10);
}

/** A transaction's identity apart from its id and status: what a TPP would match on. */
function fingerprint(tx: SandboxTransaction): string {
  return `${tx.transactionDate}|${tx.transactionAmount.amount}|${tx.creditorName ?? tx.debtorName}`;
}

describe('deterministic data', () => {
  it('gives identical accounts, balances and transactions for two instances with the same seed', () => {
    for (const bank of ['bec', 'enfuce-rocker', 'enfuce-st1'] as const) {
      const a = makeBank(bank, { seed: 'same', clock: frozenClock(START) }).state;
      const b = makeBank(bank, { seed: 'same', clock: frozenClock(START) }).state;
      const ca = approvedConsent(a);
      const cb = approvedConsent(b);
      expect(a.accounts(ca)).toEqual(b.accounts(cb));
      const id = firstAccount(a, ca).resourceId;
      expect(a.balances(ca, id)).toEqual(b.balances(cb, id));
      const txA = a.transactions(ca, id, ALL);
      expect(txA.length).toBeGreaterThan(300);
      expect(txA).toEqual(b.transactions(cb, id, ALL));
    }
  });

  it('gives different data for a different seed', () => {
    const a = makeBank('bec', { seed: 'one' }).state;
    const b = makeBank('bec', { seed: 'two' }).state;
    const ca = approvedConsent(a);
    const cb = approvedConsent(b);
    const txA = a.transactions(ca, firstAccount(a, ca).resourceId, ALL).map((t) => t.transactionId);
    const txB = b.transactions(cb, firstAccount(b, cb).resourceId, ALL).map((t) => t.transactionId);
    expect(txA.filter((id) => txB.includes(id))).toEqual([]);
  });

  it('lists the test PSUs with their documented accounts and valid Danish IBANs', () => {
    const bec = makeBank('bec').state;
    expect(bec.testPsus().map((p) => [p.id, p.name])).toEqual([
      ['bec-psu-1', 'Mette Hansen'],
      ['bec-psu-2', 'Lars Nielsen'],
    ]);
    const mette = bec.accounts(approvedConsent(bec, { psuId: 'bec-psu-1' }));
    const lars = bec.accounts(approvedConsent(bec, { psuId: 'bec-psu-2' }));
    expect(mette.map((a) => a.cashAccountType)).toEqual(['CACC', 'SVGS']);
    expect(lars).toHaveLength(1);
    for (const account of [...mette, ...lars]) {
      expect(account.currency).toBe('DKK');
      expect(account.iban).toMatch(/^DK[0-9]{16}$/);
      expect(isValidIban(account.iban!)).toBe(true);
      expect(account.bban).toBe(account.iban!.slice(4));
    }
    // a single wrong digit breaks the check digits
    const iban = mette[0].iban!;
    const tampered = iban.slice(0, 10) + ((Number(iban[10]) + 1) % 10) + iban.slice(11);
    expect(isValidIban(tampered)).toBe(false);

    const rocker = makeBank('enfuce-rocker').state;
    expect(rocker.testPsus()[0]).toEqual({ id: 'rocker-psu-1', name: 'Anna Svensson', bank: 'enfuce-rocker' });
    const card = rocker.accounts(approvedConsent(rocker))[0];
    expect(card).toMatchObject({
      kind: 'card-account',
      product: 'MC_CARD',
      maskedPan: '5243 78** **** 8693',
      currency: 'SEK',
    });
    expect(card.creditLimit?.currency).toBe('SEK');
    const st1 = makeBank('enfuce-st1').state;
    expect(st1.testPsus()[0].name).toBe('Mikko Virtanen');
    expect(st1.accounts(approvedConsent(st1))[0]).toMatchObject({ maskedPan: '5243 66** **** 8694', currency: 'EUR' });
  });

  it('keeps two years of history, about one transaction a day, newest first', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    const account = firstAccount(state, consentId);
    const txs = state.transactions(consentId, account.resourceId, ALL);
    const keyDate = (t: SandboxTransaction) => t.bookingDate ?? t.transactionDate;
    const oldest = keyDate(txs[txs.length - 1]);
    expect(oldest >= isoDay(START, -730)).toBe(true);
    expect(oldest <= isoDay(START, -725)).toBe(true);
    expect(keyDate(txs[0]) <= isoDay(START)).toBe(true);
    expect(txs.length).toBeGreaterThan(600);
    expect(txs.length).toBeLessThan(1200);
    for (let i = 1; i < txs.length; i++) expect(keyDate(txs[i - 1]) >= keyDate(txs[i])).toBe(true);
    expect(new Set(txs.map((t) => t.transactionId)).size).toBe(txs.length);
    // some days have none and some have several
    const perDay = new Map<string, number>();
    for (const t of txs) perDay.set(t.transactionDate, (perDay.get(t.transactionDate) ?? 0) + 1);
    expect([...perDay.values()].some((n) => n >= 3)).toBe(true);
    expect(perDay.size).toBeLessThan(700);
    // monthly salary credits on the current account
    const salaries = txs.filter((t) => t.remittanceInformationUnstructured?.startsWith('Løn '));
    expect(salaries.length).toBeGreaterThanOrEqual(23);
    expect(salaries.length).toBeLessThanOrEqual(25);
    expect(salaries.every((t) => Number(t.transactionAmount.amount) > 0 && t.debtorName)).toBe(true);
  });

  it('hands out transactions no caller can change', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    const [first] = state.transactions(consentId, id, ALL);
    const amount = first.transactionAmount.amount;
    expect(() => {
      (first.transactionAmount as { amount: string }).amount = '0.00';
    }).toThrow(TypeError);
    expect(() => {
      (first as { transactionId: string }).transactionId = 'x';
    }).toThrow(TypeError);
    expect(state.transactions(consentId, id, ALL)[0].transactionAmount.amount).toBe(amount);
  });

  it('filters by date range and booking status', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    const dateFrom = isoDay(START, -30);
    const dateTo = isoDay(START, -10);
    const booked = state.transactions(consentId, id, { bookingStatus: 'booked', dateFrom, dateTo });
    expect(booked.length).toBeGreaterThan(5);
    expect(
      booked.every((t) => t.bookingStatus === 'booked' && t.bookingDate! >= dateFrom && t.bookingDate! <= dateTo),
    ).toBe(true);
    const pending = state.transactions(consentId, id, { bookingStatus: 'pending', dateFrom: isoDay(START, -5) });
    expect(
      pending.every(
        (t) => t.bookingStatus === 'pending' && t.bookingDate === undefined && t.entryReference === undefined,
      ),
    ).toBe(true);
    const both = state.transactions(consentId, id, { bookingStatus: 'both', dateFrom: isoDay(START, -5) });
    expect(both.length).toBe(
      pending.length +
        state.transactions(consentId, id, { bookingStatus: 'booked', dateFrom: isoDay(START, -5) }).length,
    );
    expect(() => state.transactions(consentId, id, { bookingStatus: 'both', dateFrom: '2026-02-30' })).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'dateFrom' }),
    );
  });

  it('produces data that validates against the Berlin Group 1.3.12 schemas', () => {
    const validate = specValidator();
    // the validator is not vacuous
    expect(validate('cardAccountDetails', { maskedPan: 'x'.repeat(36), currency: 'SEK' })).not.toEqual([]);
    expect(
      validate('transactions', {
        transactionAmount: { amount: '1.00', currency: 'DKK' },
        remittanceInformationUnstructured: 'x'.repeat(141),
      }),
    ).not.toEqual([]);
    expect(
      validate('balance', { balanceType: 'sometimes', balanceAmount: { amount: '1.00', currency: 'DKK' } }),
    ).not.toEqual([]);
    for (const bank of ['bec', 'enfuce-rocker', 'enfuce-st1'] as const) {
      const { state } = makeBank(bank);
      const consentId = approvedConsent(state);
      for (const account of state.accounts(consentId)) {
        const { kind, ...details } = account;
        expect(validate(kind === 'account' ? 'accountDetails' : 'cardAccountDetails', details)).toEqual([]);
        for (const balance of state.balances(consentId, account.resourceId)) {
          expect(validate('balance', balance)).toEqual([]);
          expect(balance.balanceAmount.amount).toMatch(AMOUNT);
        }
        const txs = state.transactions(consentId, account.resourceId, ALL);
        let refunds = 0;
        for (const tx of txs) {
          expect(tx.transactionAmount.amount).toMatch(AMOUNT);
          expect(tx.transactionAmount.amount).toMatch(/\.[0-9]{2}$/);
          expect(tx.transactionAmount.currency).toMatch(/^[A-Z]{3}$/);
          expect(tx.transactionDate).toMatch(DATE);
          if (tx.bookingDate) expect(tx.bookingDate).toMatch(DATE);
          expect(tx.transactionId.length).toBeLessThanOrEqual(35);
          if (tx.entryReference) expect(tx.entryReference.length).toBeLessThanOrEqual(35);
          if (tx.merchantCategoryCode) expect(tx.merchantCategoryCode).toMatch(/^[0-9]{4}$/);
          if (kind === 'account') {
            const {
              transactionDate: _t,
              maskedPan: _m,
              cardAcceptorId: _c,
              merchantCategoryCode: _mcc,
              bookingStatus: _b,
              ...bg
            } = tx;
            expect(validate('transactions', bg)).toEqual([]);
          } else {
            const {
              transactionId,
              maskedPan,
              creditorName: _c,
              debtorName: _d,
              remittanceInformationUnstructured,
              bookingStatus: _b,
              ...rest
            } = tx;
            const bg = {
              ...rest,
              cardTransactionId: transactionId,
              maskedPAN: maskedPan,
              transactionDetails: remittanceInformationUnstructured,
            };
            expect(validate('cardTransaction', bg)).toEqual([]);
            if (
              Number(tx.transactionAmount.amount) > 0 &&
              !tx.remittanceInformationUnstructured?.startsWith('Inbetalning') &&
              !tx.remittanceInformationUnstructured?.startsWith('Maksu')
            )
              refunds++;
            if (tx.cardAcceptorId) expect(tx.maskedPan).toBe(account.maskedPan);
          }
        }
        if (kind === 'card-account') {
          // purchases are negative, with the occasional positive refund
          expect(txs.filter((t) => t.cardAcceptorId && Number(t.transactionAmount.amount) < 0).length).toBeGreaterThan(
            400,
          );
          expect(refunds).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('balances', () => {
  it('are consistent with the booked transactions as the clock moves', () => {
    for (const bank of ['bec', 'enfuce-rocker'] as const) {
      const { state, clock } = makeBank(bank);
      const consentId = approvedConsent(state);
      const id = firstAccount(state, consentId).resourceId;
      const bookedBalance = () => {
        const b = state.balances(consentId, id);
        return bank === 'bec'
          ? {
              closing: b.find((x) => x.balanceType === 'closingBooked')!,
              expected: b.find((x) => x.balanceType === 'expected')!,
            }
          : { closing: b.find((x) => x.balanceType === 'interimBooked')!, expected: undefined };
      };
      const cents = (amount: string) => Math.round(Number(amount) * 100);
      // across 40 days, including a month boundary: each step's change equals the day's booked entries
      for (let step = 0; step < 40; step++) {
        const before = bookedBalance().closing;
        clock.advance(DAY_MS);
        const after = bookedBalance().closing;
        const day = after.referenceDate!;
        const booked = state.transactions(consentId, id, { bookingStatus: 'booked', dateFrom: day, dateTo: day });
        const sum = booked.reduce((acc, t) => acc + cents(t.transactionAmount.amount), 0);
        expect(cents(after.balanceAmount.amount) - cents(before.balanceAmount.amount)).toBe(sum);
      }
      if (bank === 'bec') {
        // expected = closingBooked + today's booked entries + pending entries
        const { closing, expected } = bookedBalance();
        const today = isoDay(clock.now());
        const todays = state.transactions(consentId, id, { bookingStatus: 'booked', dateFrom: today, dateTo: today });
        const pending = state.transactions(consentId, id, { bookingStatus: 'pending', dateFrom: '2000-01-01' });
        const sum = [...todays, ...pending].reduce((acc, t) => acc + cents(t.transactionAmount.amount), 0);
        expect(cents(expected!.balanceAmount.amount)).toBe(cents(closing.balanceAmount.amount) + sum);
      } else {
        // card: interimAvailable = credit limit + booked + pending
        const b = state.balances(consentId, id);
        const limit = cents(state.accounts(consentId)[0].creditLimit!.amount);
        const pending = state.transactions(consentId, id, { bookingStatus: 'pending', dateFrom: '2000-01-01' });
        const sum = pending.reduce((acc, t) => acc + cents(t.transactionAmount.amount), 0);
        const available = b.find((x) => x.balanceType === 'interimAvailable')!;
        expect(available.creditLimitIncluded).toBe(true);
        expect(cents(available.balanceAmount.amount)).toBe(
          limit + cents(b.find((x) => x.balanceType === 'interimBooked')!.balanceAmount.amount) + sum,
        );
      }
    }
  });

  it('keeps Lars Nielsen small and positive', () => {
    const { state, clock } = makeBank('bec');
    const consentId = approvedConsent(state, { psuId: 'bec-psu-2' });
    const id = firstAccount(state, consentId).resourceId;
    for (let i = 0; i < 60; i++) {
      const available = Number(
        state.balances(consentId, id).find((b) => b.balanceType === 'interimAvailable')!.balanceAmount.amount,
      );
      expect(available).toBeGreaterThan(0);
      expect(available).toBeLessThan(8000);
      clock.advance(DAY_MS);
    }
  });
});

describe('pending transactions', () => {
  function pendingThenLater(setting: 'same-id' | 'new-id') {
    const { state, clock } = makeBank('enfuce-rocker', { settings: { pendingToBooked: setting } });
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    const list = () => state.transactions(consentId, id, ALL);
    const pending = list().filter((t) => t.bookingStatus === 'pending');
    clock.advance(3 * DAY_MS);
    return { pending, later: list(), state, clock, consentId, id };
  }

  it('are the last two days, and book with the same id under same-id', () => {
    const { pending, later } = pendingThenLater('same-id');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((t) => t.transactionDate >= isoDay(START, -2))).toBe(true);
    let booked = 0;
    for (const p of pending) {
      const now = later.find((t) => t.transactionId === p.transactionId);
      if (!now) continue; // an authorisation reversal
      booked++;
      expect(now.bookingStatus).toBe('booked');
      expect(fingerprint(now)).toBe(fingerprint(p));
      expect(now.bookingDate! > p.transactionDate).toBe(true);
    }
    expect(booked).toBeGreaterThan(0);
  });

  it('book with a new id under new-id, and the pending id is gone', () => {
    const { pending, later } = pendingThenLater('new-id');
    let rebooked = 0;
    for (const p of pending) {
      expect(later.some((t) => t.transactionId === p.transactionId)).toBe(false);
      const now = later.find((t) => fingerprint(t) === fingerprint(p));
      if (!now) continue;
      rebooked++;
      expect(now.bookingStatus).toBe('booked');
      expect(now.transactionId).not.toBe(p.transactionId);
    }
    expect(rebooked).toBeGreaterThan(0);
  });

  it('switching the setting changes only pending ids', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    const same = state.transactions(consentId, id, ALL);
    state.updateSettings({ pendingToBooked: 'new-id' });
    const fresh = state.transactions(consentId, id, ALL);
    expect(fresh.length).toBe(same.length);
    fresh.forEach((t, i) => {
      if (t.bookingStatus === 'booked') expect(t.transactionId).toBe(same[i].transactionId);
      else expect(t.transactionId).not.toBe(same[i].transactionId);
    });
  });

  it('sometimes never book and vanish after three days', () => {
    const { state, clock } = makeBank('enfuce-st1');
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    let vanished = 0;
    let seen = 0;
    for (let day = 0; day < 40; day++) {
      const pending = state.transactions(consentId, id, { bookingStatus: 'pending', dateFrom: '2000-01-01' });
      const fresh = pending.filter((t) => t.transactionDate === isoDay(clock.now()));
      seen += fresh.length;
      clock.advance(3 * DAY_MS);
      const later = state.transactions(consentId, id, ALL);
      for (const p of fresh) {
        const match = later.find((t) => t.transactionId === p.transactionId);
        if (!match) vanished++;
        else expect(match.bookingStatus).toBe('booked');
      }
      clock.advance(-2 * DAY_MS);
    }
    expect(seen).toBeGreaterThan(20);
    expect(vanished).toBeGreaterThan(0);
    expect(vanished).toBeLessThan(seen / 3);
  });

  it('new transactions appear as the clock advances', () => {
    const { state, clock } = makeBank('bec');
    const consentId = approvedConsent(state);
    const id = firstAccount(state, consentId).resourceId;
    const before = new Set(state.transactions(consentId, id, ALL).map((t) => t.transactionId));
    clock.advance(5 * DAY_MS);
    const after = state.transactions(consentId, id, ALL);
    const added = after.filter((t) => !before.has(t.transactionId));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((t) => t.transactionDate > isoDay(START))).toBe(true);
    // and the oldest ones fall out of the two-year window
    expect(after.at(-1)!.bookingDate! >= isoDay(clock.now(), -730)).toBe(true);
  });
});

describe('performance and memory', () => {
  it('lists two years of transactions well under 50 ms, and keeps its cache bounded', () => {
    const samples: number[] = [];
    const cold: number[] = [];
    const { state: warm } = makeBank('bec', { seed: 'warm-up' });
    const warmConsent = approvedConsent(warm);
    warm.transactions(warmConsent, firstAccount(warm, warmConsent).resourceId, ALL);
    for (let i = 0; i < 5; i++) {
      const { state, clock } = makeBank('bec', { seed: `perf-${i}` });
      const consentId = approvedConsent(state);
      const id = firstAccount(state, consentId).resourceId;
      let cpu = process.cpuUsage();
      state.transactions(consentId, id, ALL);
      let used = process.cpuUsage(cpu);
      cold.push((used.user + used.system) / 1000);
      clock.advance(DAY_MS);
      cpu = process.cpuUsage();
      const txs = state.transactions(consentId, id, ALL);
      used = process.cpuUsage(cpu);
      samples.push((used.user + used.system) / 1000);
      expect(txs.length).toBeGreaterThan(600);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `two-year listing CPU ms: cold median ${median(cold).toFixed(1)}, next-day median ${median(samples).toFixed(1)}`,
    );
    expect(median(cold)).toBeLessThan(50);
    expect(median(samples)).toBeLessThan(20);
  });

  it('does not grow its caches when the clock advances many days', () => {
    const { state, clock } = makeBank('bec');
    const consentId = approvedConsent(state, { validUntil: '9999-12-31' });
    const id = firstAccount(state, consentId).resourceId;
    const ledgers = (state as unknown as { ledgers: Map<string, { cachedDays(): number }> }).ledgers;
    const sizes: number[] = [];
    // 170 days (a BEC consent lives 180), one listing every 5 days
    for (let i = 0; i < 34; i++) {
      state.transactions(consentId, id, ALL);
      sizes.push([...ledgers.values()][0].cachedDays());
      clock.advance(5 * DAY_MS);
    }
    // the window plus two months' margin either side, never the whole walk
    expect(Math.max(...sizes)).toBeLessThanOrEqual(HISTORY_DAYS + 62 + 10);
    expect(sizes.at(-1)! - sizes[0]).toBeLessThan(70);

    // a ledger asked only for balances over three years keeps no more than the window either
    const ledger = new AccountLedger('balances-only', psusOf('bec')[0].accounts[0]);
    let maxCached = 0;
    for (let day = 0; day < 1100; day++) {
      ledger.balances(new Date(START.getTime() + day * DAY_MS));
      maxCached = Math.max(maxCached, ledger.cachedDays());
    }
    expect(maxCached).toBeLessThanOrEqual(HISTORY_DAYS + 62 + 10);
  });
});
