import { z } from 'zod';

/**
 * The Berlin Group 1.3.12 AccountAccess object (psd2-api_v1.3.12 components/schemas/accountAccess),
 * checked before anything is stored or sent: what the bank would refuse is a 422 here, not a
 * failed connection. Unknown members are refused, lists are bounded; an IBAN failing mod-97 names no
 * account (404, accountsThatCannotExist).
 */

const MAX_REFERENCES = 100;

/** ISO 13616 mod-97: the check digits the bank verifies. */
export function ibanChecksumValid(iban: string): boolean {
  const compact = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}

const iban = z
  .string()
  .regex(/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/, 'must be an IBAN')
  .describe('An IBAN; one whose ISO 13616 mod-97 check digits fail names no account: 404');

const otherType = z.strictObject({
  identification: z.string().min(1).max(35),
  schemeNameCode: z.string().max(35).optional(),
  schemeNameProprietary: z.string().max(35).optional(),
  issuer: z.string().max(35).optional(),
});

const IDENTIFIERS = ['iban', 'bban', 'pan', 'maskedPan', 'msisdn', 'other'] as const;

export const accountReferenceSchema = z
  .strictObject({
    iban: iban.optional(),
    bban: z
      .string()
      .regex(/^[a-zA-Z0-9]{1,30}$/, 'must be a BBAN')
      .optional(),
    pan: z.string().min(1).max(35).optional(),
    maskedPan: z.string().min(1).max(35).optional(),
    msisdn: z.string().min(1).max(35).optional(),
    other: otherType.optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
      .optional(),
    cashAccountType: z.string().min(1).max(4).optional(),
  })
  .refine((ref) => IDENTIFIERS.filter((k) => ref[k] !== undefined).length === 1, {
    message: `must name the account by exactly one of ${IDENTIFIERS.join(', ')}`,
  })
  .meta({ oneOf: IDENTIFIERS.map((name) => ({ required: [name] })) });

const references = z.array(accountReferenceSchema).max(MAX_REFERENCES);
const allAccounts = z.enum(['allAccounts', 'allAccountsWithOwnerName']);
const LISTS = ['accounts', 'balances', 'transactions'] as const;
const BANK_OFFERED = ['availableAccounts', 'availableAccountsWithBalance', 'allPsd2'] as const;

const has = (key: string) => ({ required: [key] });
const noneOf = (keys: readonly string[]) => ({ not: { anyOf: keys.map(has) } });
const eachList = (constraint: Record<string, number>) => Object.fromEntries(LISTS.map((list) => [list, constraint]));

/**
 * The refinement below, as the document says it (so every AccountAccess the document admits is
 * one we take): named accounts (every list used names some; no restrictedTo), or empty lists (the
 * accounts the PSU offers), or exactly one of the bank-offered forms alone.
 */
const ACCESS_SHAPES = [
  { anyOf: LISTS.map(has), ...noneOf([...BANK_OFFERED, 'restrictedTo']), properties: eachList({ minItems: 1 }) },
  { anyOf: LISTS.map(has), ...noneOf(BANK_OFFERED), properties: eachList({ maxItems: 0 }) },
  ...BANK_OFFERED.map((form) => ({
    required: [form],
    ...noneOf([...LISTS, ...BANK_OFFERED.filter((other) => other !== form), 'additionalInformation']),
  })),
];

export const accountAccessSchema = z
  .strictObject({
    accounts: references.optional(),
    balances: references.optional(),
    transactions: references.optional(),
    additionalInformation: z
      .strictObject({ ownerName: references.optional(), trustedBeneficiaries: references.optional() })
      .optional(),
    availableAccounts: allAccounts.optional(),
    availableAccountsWithBalance: allAccounts.optional(),
    allPsd2: allAccounts.optional(),
    restrictedTo: z.array(z.string().min(1).max(4)).max(30).optional(),
  })
  .superRefine((access, ctx) => {
    const lists = LISTS.filter((k) => access[k] !== undefined);
    const offered = BANK_OFFERED.filter((k) => access[k] !== undefined);
    if (lists.length === 0 && offered.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must ask for something: ${[...LISTS, ...BANK_OFFERED].join(', ')}`,
      });
      return;
    }
    if (offered.length > 1 || (offered.length === 1 && lists.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `${[...lists, ...offered].join(' and ')} cannot be combined`,
      });
    }
    // An empty list asks for what the PSU offers: then every list used must be empty (1.3.12).
    const empty = lists.filter((k) => access[k]!.length === 0);
    if (empty.length > 0 && empty.length < lists.length) {
      ctx.addIssue({
        code: 'custom',
        message: `${empty.join(', ')} empty asks for the accounts the PSU offers: the other lists must be empty too`,
      });
    }
    if (access.restrictedTo !== undefined && lists.some((k) => access[k]!.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['restrictedTo'],
        message: 'only with availableAccounts, allPsd2 or empty lists',
      });
    }
    const info = access.additionalInformation;
    if (info !== undefined && lists.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['additionalInformation'],
        message: 'needs accounts, balances or transactions as well',
      });
    }
  })
  .meta({
    id: 'AccountAccess',
    anyOf: ACCESS_SHAPES,
    description:
      'Berlin Group 1.3.12 AccountAccess: accounts/balances/transactions (lists of account references, ' +
      'each naming the account by exactly one identifier; all empty = the accounts the PSU offers), or one of ' +
      'availableAccounts, availableAccountsWithBalance, allPsd2',
  });

/** How each kind of account is addressed: payment accounts by IBAN, BBAN or a proprietary id; cards by PAN. */
const IDENTIFIERS_FOR: Record<'accounts' | 'card-accounts', readonly (typeof IDENTIFIERS)[number][]> = {
  accounts: ['iban', 'bban', 'other'],
  'card-accounts': ['maskedPan', 'pan'],
};

/** Every account reference in an AccountAccess, with the field that names it. */
function referencesIn(access: z.infer<typeof accountAccessSchema>) {
  const lists = {
    accounts: access.accounts,
    balances: access.balances,
    transactions: access.transactions,
    'additionalInformation.ownerName': access.additionalInformation?.ownerName,
    'additionalInformation.trustedBeneficiaries': access.additionalInformation?.trustedBeneficiaries,
  };
  return Object.entries(lists).flatMap(([list, refs]) =>
    (refs ?? []).map((ref, i) => ({ field: `access.${list}.${i}`, ref })),
  );
}

/**
 * References that name no account anywhere: an IBAN whose ISO 13616 check digits fail (beyond
 * what a pattern can say, so the API answers 404, no such account, rather than 422).
 */
export function accountsThatCannotExist(
  access: z.infer<typeof accountAccessSchema>,
): { field: string; message: string }[] {
  return referencesIn(access)
    .filter(({ ref }) => ref.iban !== undefined && !ibanChecksumValid(ref.iban))
    .map(({ field }) => ({ field: `${field}.iban`, message: 'no such account: the IBAN fails its check digits' }));
}

/**
 * The document's AccountAccess for one kind of account (a bank's accountKind): references only by
 * the identifiers that kind has. `schema` is the AccountAccess component as generated.
 */
export function accessDocumentFor(schema: unknown, accountKind: 'accounts' | 'card-accounts'): unknown {
  const allowed = new Set<string>(IDENTIFIERS_FOR[accountKind]);
  const copy = structuredClone(schema) as { properties?: Record<string, { items?: unknown; properties?: unknown }> };
  const narrow = (items: unknown) => {
    const reference = items as { properties?: Record<string, unknown>; oneOf?: { required: string[] }[] } | undefined;
    if (!reference?.properties) return;
    for (const name of IDENTIFIERS) if (!allowed.has(name)) delete reference.properties[name];
    reference.oneOf = reference.oneOf?.filter((option) => allowed.has(option.required[0]));
  };
  for (const list of LISTS) narrow(copy.properties?.[list]?.items);
  const info = copy.properties?.additionalInformation?.properties as Record<string, { items?: unknown }> | undefined;
  for (const list of ['ownerName', 'trustedBeneficiaries']) narrow(info?.[list]?.items);
  return copy;
}

/**
 * What a valid AccountAccess still cannot ask of this bank: account references by an identifier
 * its kind of account does not have (an IBAN at a card issuer, a PAN at a payment-account bank).
 */
export function accessFaultsFor(
  access: z.infer<typeof accountAccessSchema>,
  accountKind: 'accounts' | 'card-accounts',
): { field: string; message: string }[] {
  const allowed = IDENTIFIERS_FOR[accountKind];
  const faults: { field: string; message: string }[] = [];
  for (const { field, ref } of referencesIn(access)) {
    const used = IDENTIFIERS.find((k) => ref[k] !== undefined);
    if (used && !allowed.includes(used)) {
      faults.push({
        field: `${field}.${used}`,
        message: `this bank's ${accountKind} are named by ${allowed.join(', ')}, not ${used}`,
      });
    }
  }
  return faults;
}
