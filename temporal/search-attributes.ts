import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Typed search attributes for ops in the Temporal UI. Ids and status only:
 * nothing here may ever carry a token, verifier or personal data beyond our ids.
 */
export const ConnectionIdKey = defineSearchAttributeKey('ConnectionId', 'KEYWORD');
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const AspspKey = defineSearchAttributeKey('Aspsp', 'KEYWORD');
export const ConnectionStatusKey = defineSearchAttributeKey('ConnectionStatus', 'KEYWORD');

/** A payment's id and normalised status; never its IBANs, names or amount. */
export const PaymentIdKey = defineSearchAttributeKey('PaymentId', 'KEYWORD');
export const PaymentStatusKey = defineSearchAttributeKey('PaymentStatus', 'KEYWORD');

export const SEARCH_ATTRIBUTE_KEYS = [
  ConnectionIdKey,
  CustomerIdKey,
  AspspKey,
  ConnectionStatusKey,
  PaymentIdKey,
  PaymentStatusKey,
];

/** `--search-attribute Name=Keyword` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
