import type { SandboxBalance, SandboxTransaction, TransactionQuery } from '../state/types';
import {
  dayOf,
  dayOfMonth,
  dayToIso,
  firstDayOfMonth,
  isoToDay,
  lastWeekdayOfMonth,
  monthOf,
  type DayNumber,
} from './calendar';
import { formatMinor, parseMinor } from './money';
import {
  derivedDigits,
  derivedHex,
  pick,
  randomInt,
  seededRandom,
  seedWords,
  sfc32,
  stableDigits,
  type SeedWords,
} from './prng';
import type { AccountProfile } from './psus';

/** How far back the bank keeps transactions: two years. */
export const HISTORY_DAYS = 730;
/** Card purchases are authorised (pending) and book this many days later. */
export const BOOKING_DELAY_DAYS = 2;
/** An authorisation that never books is reversed (disappears) once this many days have passed. */
export const REVERSAL_AFTER_DAYS = 3;
const VANISH_RATE = 0.1;
const REFUND_RATE = 0.03;

/** One generated movement, independent of the clock; its status at a given day is derived later. */
interface RawTransaction {
  day: DayNumber;
  /** The day's seed: with the index it determines the transaction's ids. */
  seed: SeedWords;
  /** Presented forms, memoised per status and id mode so a new clock day does not rebuild them. */
  presented?: Partial<Record<'booked' | 'pending-same' | 'pending-new', SandboxTransaction>>;
  /** Position within the day: 0 is the monthly sweep, generated items start at 1. */
  index: number;
  /** Card purchases pass through pending; transfers book on their date. */
  viaPending: boolean;
  /** undefined: an authorisation that never books and vanishes. */
  bookingDay: DayNumber | undefined;
  amountMinor: number;
  creditorName?: string;
  debtorName?: string;
  remittance: string;
  cardAcceptorId?: string;
  merchantCategoryCode?: string;
}

/** A booked movement the state adds (an executed payment). */
export interface ExtraBooking {
  transactionId: string;
  day: DayNumber;
  amountMinor: number;
  creditorName?: string;
  remittance: string;
}

/**
 * One account's deterministic ledger. Each day's transactions are a pure function of
 * (seed, bank, PSU, account, date), generated lazily and cached; the cache is pruned to the
 * window around the clock so memory stays bounded however far the clock moves.
 */
export class AccountLedger {
  private readonly dayCache = new Map<DayNumber, RawTransaction[]>();
  private readonly monthNetCache = new Map<number, number>();
  private readonly extras: ExtraBooking[] = [];
  private lastPrunedDay: DayNumber | undefined;
  private listing: { today: DayNumber; idMode: string; items: SandboxTransaction[]; keys: DayNumber[] } | undefined;

  constructor(
    private readonly seedKey: string,
    readonly profile: AccountProfile,
  ) {}

  /** Every visible transaction on `today`, newest first, filtered by the query. */
  transactions(now: Date, query: TransactionQuery, pendingToBooked: 'same-id' | 'new-id'): SandboxTransaction[] {
    const today = dayOf(now);
    const listing = this.listingFor(today, pendingToBooked);
    const from = isoToDay(query.dateFrom) ?? -Infinity;
    const to = query.dateTo !== undefined ? (isoToDay(query.dateTo) ?? Infinity) : Infinity;
    const out: SandboxTransaction[] = [];
    // keys are descending: skip the part newer than dateTo, stop once older than dateFrom.
    for (let i = 0; i < listing.items.length; i++) {
      const key = listing.keys[i];
      if (key > to) continue;
      if (key < from) break;
      const tx = listing.items[i];
      if (query.bookingStatus === 'both' || tx.bookingStatus === query.bookingStatus) out.push(tx);
    }
    return out;
  }

  balances(now: Date): SandboxBalance[] {
    const today = dayOf(now);
    this.prune(today);
    const bookedNow = this.bookedBalanceAt(today);
    const closing = this.bookedBalanceAt(today - 1);
    let pending = 0;
    for (let day = today - REVERSAL_AFTER_DAYS + 1; day <= today; day++) {
      for (const raw of this.rawDay(day)) if (statusOn(raw, today) === 'pending') pending += raw.amountMinor;
    }
    const currency = this.profile.currency;
    const amount = (minor: number) => ({ amount: formatMinor(minor), currency });
    const lastChangeDateTime = now.toISOString();
    const todayIso = dayToIso(today);
    if (this.profile.kind === 'card-account') {
      const limit = this.profile.creditLimitMinor ?? 0;
      return [
        {
          balanceType: 'interimAvailable',
          balanceAmount: amount(limit + bookedNow + pending),
          creditLimitIncluded: true,
          lastChangeDateTime,
        },
        { balanceType: 'interimBooked', balanceAmount: amount(bookedNow), referenceDate: todayIso },
      ];
    }
    return [
      { balanceType: 'closingBooked', balanceAmount: amount(closing), referenceDate: dayToIso(today - 1) },
      { balanceType: 'expected', balanceAmount: amount(bookedNow + pending), lastChangeDateTime },
      { balanceType: 'interimAvailable', balanceAmount: amount(bookedNow + pending), lastChangeDateTime },
    ];
  }

  /** Available funds in minor units: the interimAvailable balance. */
  availableMinor(now: Date): number {
    const available = this.balances(now).find((b) => b.balanceType === 'interimAvailable')!;
    return parseMinor(available.balanceAmount.amount)!;
  }

  addBooking(extra: ExtraBooking): void {
    this.extras.push(extra);
    this.listing = undefined;
  }

  /**
   * Balance at the end of `day`, booked entries only. The sweep on the 1st resets the balance to
   * the month's target, so only this month's entries (plus executed payments) need summing.
   */
  bookedBalanceAt(day: DayNumber): number {
    const month = monthOf(day);
    let balance = this.monthStartTarget(month);
    for (let d = firstDayOfMonth(month) - BOOKING_DELAY_DAYS; d <= day; d++) {
      // generatedDay, not rawDay: the month's target already includes its sweep.
      for (const raw of this.generatedDay(d)) {
        if (raw.bookingDay !== undefined && raw.bookingDay >= firstDayOfMonth(month) && raw.bookingDay <= day) {
          balance += raw.amountMinor;
        }
      }
    }
    for (const extra of this.extras) if (extra.day <= day) balance += extra.amountMinor;
    return balance;
  }

  /** Drops cached days far from `today` so memory stays bounded when the clock advances; once per clock day. */
  prune(today: DayNumber): void {
    if (this.lastPrunedDay === today) return;
    this.lastPrunedDay = today;
    const low = today - HISTORY_DAYS - 62;
    const high = today + 62;
    for (const day of this.dayCache.keys()) if (day < low || day > high) this.dayCache.delete(day);
    const lowMonth = monthOf(low);
    const highMonth = monthOf(high);
    for (const month of this.monthNetCache.keys()) {
      if (month < lowMonth || month > highMonth) this.monthNetCache.delete(month);
    }
  }

  cachedDays(): number {
    return this.dayCache.size;
  }

  private listingFor(today: DayNumber, idMode: 'same-id' | 'new-id') {
    if (this.listing && this.listing.today === today && this.listing.idMode === idMode) return this.listing;
    this.prune(today);
    const entries: { key: DayNumber; order: number; tx: SandboxTransaction }[] = [];
    const oldest = today - HISTORY_DAYS;
    for (let day = oldest - BOOKING_DELAY_DAYS; day <= today; day++) {
      for (const raw of this.rawDay(day)) {
        const status = statusOn(raw, today);
        if (status === undefined) continue;
        const key = status === 'booked' ? raw.bookingDay! : raw.day;
        if (key < oldest) continue;
        const variant = status === 'booked' ? 'booked' : idMode === 'same-id' ? 'pending-same' : 'pending-new';
        raw.presented ??= {};
        const tx = (raw.presented[variant] ??= this.present(raw, status, idMode));
        entries.push({ key, order: raw.day * 100 + raw.index, tx });
      }
    }
    for (const extra of this.extras) {
      if (extra.day < oldest || extra.day > today) continue;
      entries.push({ key: extra.day, order: extra.day * 100 + 99, tx: this.presentExtra(extra) });
    }
    entries.sort((a, b) => b.key - a.key || b.order - a.order);
    this.listing = { today, idMode, items: entries.map((e) => e.tx), keys: entries.map((e) => e.key) };
    return this.listing;
  }

  private present(raw: RawTransaction, status: 'booked' | 'pending', idMode: 'same-id' | 'new-id'): SandboxTransaction {
    // Salt per (index, variant): 0 the transactionId, 1 the pending-only id under new-id, 2 entryReference.
    const pendingVariant = status === 'pending' && idMode === 'new-id' ? 1 : 0;
    const tx: SandboxTransaction = {
      transactionId: derivedHex(raw.seed, raw.index * 4 + pendingVariant),
      bookingStatus: status,
      transactionDate: dayToIso(raw.day),
      transactionAmount: Object.freeze({ amount: formatMinor(raw.amountMinor), currency: this.profile.currency }),
      remittanceInformationUnstructured: raw.remittance,
    };
    if (status === 'booked') {
      tx.entryReference = derivedDigits(raw.seed, raw.index * 4 + 2, 18);
      tx.bookingDate = dayToIso(raw.bookingDay!);
      tx.valueDate = dayToIso(raw.bookingDay!);
    }
    if (raw.creditorName) tx.creditorName = raw.creditorName;
    if (raw.debtorName) tx.debtorName = raw.debtorName;
    if (raw.cardAcceptorId) tx.cardAcceptorId = raw.cardAcceptorId;
    if (raw.merchantCategoryCode) tx.merchantCategoryCode = raw.merchantCategoryCode;
    if (this.profile.maskedPan && raw.viaPending) tx.maskedPan = this.profile.maskedPan;
    // Listings share these objects between calls: frozen, so no caller can corrupt the cache.
    return Object.freeze(tx);
  }

  private presentExtra(extra: ExtraBooking): SandboxTransaction {
    const date = dayToIso(extra.day);
    const tx: SandboxTransaction = {
      transactionId: extra.transactionId,
      entryReference: extra.transactionId.slice(0, 35),
      bookingStatus: 'booked',
      bookingDate: date,
      valueDate: date,
      transactionDate: date,
      transactionAmount: Object.freeze({ amount: formatMinor(extra.amountMinor), currency: this.profile.currency }),
      remittanceInformationUnstructured: extra.remittance,
    };
    if (extra.creditorName) tx.creditorName = extra.creditorName.slice(0, 70);
    return Object.freeze(tx);
  }

  /** The balance right after the sweep on the 1st of `month`. */
  private monthStartTarget(month: number): number {
    const { baseMinor, spreadMinor } = this.profile.monthStartTarget;
    const random = seededRandom(`${this.seedKey}|target|${month}`);
    return baseMinor + randomInt(random, 0, spreadMinor);
  }

  /** Net of the month's booked entries except the sweep itself. */
  private monthNet(month: number): number {
    const cached = this.monthNetCache.get(month);
    if (cached !== undefined) return cached;
    const first = firstDayOfMonth(month);
    const last = firstDayOfMonth(month + 1) - 1;
    let net = 0;
    for (let day = first - BOOKING_DELAY_DAYS; day <= last; day++) {
      for (const raw of this.generatedDay(day)) {
        if (raw.bookingDay !== undefined && raw.bookingDay >= first && raw.bookingDay <= last) net += raw.amountMinor;
      }
    }
    this.monthNetCache.set(month, net);
    return net;
  }

  /** All of a day's movements: the sweep on the 1st, then the generated ones. */
  private rawDay(day: DayNumber): RawTransaction[] {
    const generated = this.generatedDay(day);
    if (dayOfMonth(day) !== 1) return generated;
    const month = monthOf(day);
    const sweep = this.monthStartTarget(month) - (this.monthStartTarget(month - 1) + this.monthNet(month - 1));
    if (sweep === 0) return generated;
    const [outText, inText] = this.profile.sweepText;
    const counterparty = this.profile.sweepCounterparty;
    const sweepTx: RawTransaction = {
      day,
      seed: seedWords(`${this.seedKey}|${dayToIso(day)}|sweep`),
      index: 0,
      viaPending: false,
      bookingDay: day,
      amountMinor: sweep,
      remittance: sweep < 0 ? outText : inText,
      ...(sweep < 0 ? { creditorName: counterparty } : { debtorName: counterparty }),
    };
    return [sweepTx, ...generated];
  }

  private generatedDay(day: DayNumber): RawTransaction[] {
    const cached = this.dayCache.get(day);
    if (cached) return cached;
    const generated = generateDay(this.seedKey, this.profile, day);
    this.dayCache.set(day, generated);
    return generated;
  }
}

/** The status of a movement on `today`, or undefined when it is not (or no longer) visible. */
function statusOn(raw: RawTransaction, today: DayNumber): 'booked' | 'pending' | undefined {
  if (raw.day > today) return undefined;
  if (!raw.viaPending) return 'booked';
  if (raw.bookingDay === undefined) return today - raw.day < REVERSAL_AFTER_DAYS ? 'pending' : undefined;
  return today < raw.bookingDay ? 'pending' : 'booked';
}

function generateDay(seedKey: string, profile: AccountProfile, day: DayNumber): RawTransaction[] {
  const seed = seedWords(`${seedKey}|${dayToIso(day)}`);
  const random = sfc32(seed);
  const pattern = profile.pattern;
  const out: RawTransaction[] = [];
  const transfer = (amountMinor: number, remittance: string, counterparty: string) =>
    out.push({
      day,
      seed,
      index: out.length + 1,
      viaPending: false,
      bookingDay: day,
      amountMinor,
      remittance,
      ...(amountMinor < 0 ? { creditorName: counterparty } : { debtorName: counterparty }),
    });

  const month = monthOf(day);
  const monthIso = dayToIso(day).slice(0, 7);
  if (pattern.type === 'salary-current') {
    if (dayOfMonth(day) === 1) transfer(-pattern.rentMinor, 'Betalingsservice Husleje', pattern.rentTo);
    if (day === lastWeekdayOfMonth(month)) {
      transfer(pattern.salaryMinor + randomInt(random, 0, 20) * 100, `Løn ${monthIso}`, pattern.salaryFrom);
    }
  }
  if (pattern.type === 'small-current' && day === lastWeekdayOfMonth(month)) {
    transfer(pattern.incomeMinor + randomInt(random, 0, 40) * 100, `Løn ${monthIso}`, pattern.incomeFrom);
  }
  if (pattern.type === 'savings' && dayOfMonth(day) === 1 && month % 3 === 0) {
    transfer(randomInt(random, 5_000, 40_000), 'Rente', 'Renteafregning');
  }
  if (pattern.type === 'salary-current' || pattern.type === 'small-current' || pattern.type === 'credit-card') {
    // Binomial(4, perDay/4): about perDay purchases a day, some days none, some several.
    const p = pattern.perDay / 4;
    let count = 0;
    for (let i = 0; i < 4; i++) if (random() < p) count++;
    for (let i = 0; i < count; i++) {
      const merchant = pick(random, profile.merchants);
      const amount = randomInt(random, merchant.minMinor, merchant.maxMinor);
      const refund = random() < REFUND_RATE;
      const vanishes = !refund && random() < VANISH_RATE;
      const isCard = profile.kind === 'card-account';
      out.push({
        day,
        seed,
        index: out.length + 1,
        viaPending: true,
        bookingDay: vanishes ? undefined : day + BOOKING_DELAY_DAYS,
        amountMinor: refund ? amount : -amount,
        ...(refund ? { debtorName: merchant.name } : { creditorName: merchant.name }),
        remittance: refund
          ? `${isCard ? 'Refund' : 'Retur'} ${merchant.name}`
          : isCard
            ? merchant.name
            : `Dankort-køb ${merchant.name}`,
        cardAcceptorId: cardAcceptorIdOf(merchant.name),
        merchantCategoryCode: merchant.mcc,
      });
    }
  }
  return out;
}

const cardAcceptorIds = new Map<string, string>();
function cardAcceptorIdOf(merchantName: string): string {
  let id = cardAcceptorIds.get(merchantName);
  if (id === undefined) {
    id = stableDigits(`merchant|${merchantName}`, 15);
    cardAcceptorIds.set(merchantName, id);
  }
  return id;
}
