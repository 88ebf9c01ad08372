import type { SandboxBankId, TestPsu } from '../state/types';
import { danishIban } from './iban';
import { DANISH_MERCHANTS, FINNISH_MERCHANTS, SWEDISH_MERCHANTS, type Merchant } from './merchants';

/**
 * How an account's money moves. Every pattern has a monthly "sweep" on the 1st (a transfer to
 * savings, the card invoice payment, ...) that brings the balance back to a target, so balances
 * stay realistic forever while each day's transactions remain a pure function of the date.
 */
export type LedgerPattern =
  | {
      type: 'salary-current';
      salaryMinor: number;
      salaryFrom: string;
      rentMinor: number;
      rentTo: string;
      perDay: number;
    }
  | { type: 'small-current'; incomeMinor: number; incomeFrom: string; perDay: number }
  | { type: 'savings' }
  | { type: 'credit-card'; perDay: number };

export interface AccountProfile {
  /** Stable within the PSU: part of every derived id and seed. */
  key: string;
  kind: 'account' | 'card-account';
  currency: string;
  name: string;
  product: string;
  cashAccountType?: string;
  iban?: string;
  bban?: string;
  maskedPan?: string;
  creditLimitMinor?: number;
  merchants: readonly Merchant[];
  pattern: LedgerPattern;
  /** Balance (minor units) right after the sweep on the 1st of a month. */
  monthStartTarget: { baseMinor: number; spreadMinor: number };
  /** Sweep descriptions: [money out, money in]. */
  sweepText: [string, string];
  sweepCounterparty: string;
}

export interface PsuProfile extends TestPsu {
  accounts: AccountProfile[];
}

// Fixed bank codes per PSU: the PSU's accounts do not change with the BEC bankId in the URL, so a
// payment's debtor IBAN resolves the same way whichever bankId the TPP used.
const mette = {
  current: danishIban('0400', '4012345678'),
  savings: danishIban('0400', '4012345686'),
};
const lars = danishIban('6140', '6140009127');

const PSUS: readonly PsuProfile[] = [
  {
    id: 'bec-psu-1',
    name: 'Mette Hansen',
    bank: 'bec',
    accounts: [
      {
        key: 'current',
        kind: 'account',
        currency: 'DKK',
        name: 'Lønkonto',
        product: 'Lønkonto',
        cashAccountType: 'CACC',
        ...mette.current,
        merchants: DANISH_MERCHANTS,
        pattern: {
          type: 'salary-current',
          salaryMinor: 3_245_000,
          salaryFrom: 'Novo Nordisk A/S',
          rentMinor: 1_150_000,
          rentTo: 'Boligselskabet Sjælland',
          perDay: 1.1,
        },
        monthStartTarget: { baseMinor: 1_800_000, spreadMinor: 600_000 },
        sweepText: ['Overførsel til Opsparing', 'Overførsel fra Opsparing'],
        sweepCounterparty: 'Mette Hansen',
      },
      {
        key: 'savings',
        kind: 'account',
        currency: 'DKK',
        name: 'Opsparing',
        product: 'Højrentekonto',
        cashAccountType: 'SVGS',
        ...mette.savings,
        merchants: [],
        pattern: { type: 'savings' },
        monthStartTarget: { baseMinor: 14_500_000, spreadMinor: 2_000_000 },
        sweepText: ['Overførsel til Lønkonto', 'Overførsel fra Lønkonto'],
        sweepCounterparty: 'Mette Hansen',
      },
    ],
  },
  {
    id: 'bec-psu-2',
    name: 'Lars Nielsen',
    bank: 'bec',
    accounts: [
      {
        key: 'current',
        kind: 'account',
        currency: 'DKK',
        name: 'Studiekonto',
        product: 'Ungdomskonto',
        cashAccountType: 'CACC',
        ...lars,
        // Cheap shops only and a start-of-month balance of 2,500–3,500 DKK: the balance stays small
        // (and positive), so payments of a few thousand DKK are rejected for insufficient funds.
        merchants: DANISH_MERCHANTS.filter((m) => m.maxMinor <= 15_000),
        pattern: { type: 'small-current', incomeMinor: 150_000, incomeFrom: 'Bageriet Brød ApS', perDay: 0.5 },
        monthStartTarget: { baseMinor: 250_000, spreadMinor: 100_000 },
        sweepText: ['Overførsel til Opsparing', 'MobilePay fra Forældre'],
        sweepCounterparty: 'Hanne Nielsen',
      },
    ],
  },
  {
    id: 'rocker-psu-1',
    name: 'Anna Svensson',
    bank: 'enfuce-rocker',
    accounts: [
      {
        key: 'card',
        kind: 'card-account',
        currency: 'SEK',
        name: 'Rocker Kreditkort',
        product: 'MC_CARD',
        maskedPan: '5243 78** **** 8693',
        creditLimitMinor: 3_000_000,
        merchants: SWEDISH_MERCHANTS,
        pattern: { type: 'credit-card', perDay: 1.0 },
        monthStartTarget: { baseMinor: -150_000, spreadMinor: 150_000 },
        sweepText: ['Återbetalning', 'Inbetalning, tack'],
        sweepCounterparty: 'Anna Svensson',
      },
    ],
  },
  {
    id: 'st1-psu-1',
    name: 'Mikko Virtanen',
    bank: 'enfuce-st1',
    accounts: [
      {
        key: 'card',
        kind: 'card-account',
        currency: 'EUR',
        name: 'ST1 Mastercard',
        product: 'MC_CARD',
        maskedPan: '5243 66** **** 8694',
        creditLimitMinor: 300_000,
        merchants: FINNISH_MERCHANTS,
        pattern: { type: 'credit-card', perDay: 1.0 },
        monthStartTarget: { baseMinor: -15_000, spreadMinor: 15_000 },
        sweepText: ['Hyvitys', 'Maksu vastaanotettu, kiitos'],
        sweepCounterparty: 'Mikko Virtanen',
      },
    ],
  },
];

export function psusOf(bank: SandboxBankId): PsuProfile[] {
  return PSUS.filter((psu) => psu.bank === bank);
}
