import { becProfile } from '../../banks/bec/profile';
import { enfuceProfile } from '../../banks/enfuce/profile';
import type { BankProfile } from '../../xs2a/profiles/types';

/** Profiles pointed at a loopback sandbox address, as tests and the demo use them. */
export const BEC_BASE_URL = 'https://127.0.0.1:8443/psd2/0400';
export const ENFUCE_BASE_URL = 'https://127.0.0.1:8444/rocker';

export function testBecProfile(): BankProfile {
  return becProfile({ bankId: '0400', environment: 'sandbox', baseUrl: BEC_BASE_URL });
}

export function testEnfuceProfile(): BankProfile {
  return enfuceProfile({
    issuer: 'rocker',
    environment: 'sandbox',
    baseUrl: ENFUCE_BASE_URL,
    clientId: 'tpp-client-1',
    apiKey: 'api-key-1',
  });
}
