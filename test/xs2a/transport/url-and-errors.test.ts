import { describe, expect, it } from 'vitest';
import { classifyTransportError } from '../../../xs2a/transport/transport-errors';
import { fieldPath, resolveUrl } from '../../../xs2a/transport/url';

describe('resolveUrl', () => {
  const base = 'https://bank.example:8443/psd2/0400';

  it('appends relative paths to the base path and adds defined query parameters', () => {
    expect(resolveUrl(base, '/v1/accounts')).toBe('https://bank.example:8443/psd2/0400/v1/accounts');
    expect(resolveUrl(`${base}/`, 'v1/accounts', { withBalance: true, skip: undefined, n: 3 })).toBe(
      'https://bank.example:8443/psd2/0400/v1/accounts?withBalance=true&n=3',
    );
  });

  it('uses host-relative and absolute links as they are', () => {
    expect(resolveUrl(base, '/psd2/0400/v1/accounts/a/transactions?page=2')).toBe(
      'https://bank.example:8443/psd2/0400/v1/accounts/a/transactions?page=2',
    );
    expect(resolveUrl(base, 'https://auth.bank.example/oauth/token')).toBe('https://auth.bank.example/oauth/token');
    // A path that merely starts with the same characters is not host-relative.
    expect(resolveUrl(base, '/psd2/04000/x')).toBe('https://bank.example:8443/psd2/0400/psd2/04000/x');
  });

  it('works with a base URL without a path', () => {
    expect(resolveUrl('https://bank.example', '/v1/accounts')).toBe('https://bank.example/v1/accounts');
  });
});

describe('fieldPath', () => {
  it('writes zod paths as JSON paths', () => {
    expect(fieldPath(['accounts', 0, 'iban'])).toBe('accounts[0].iban');
    expect(fieldPath([2, 'balanceAmount', 'amount'])).toBe('[2].balanceAmount.amount');
    expect(fieldPath([])).toBe('(root)');
  });
});

describe('classifyTransportError', () => {
  const context = { requestId: 'r-1', operation: 'GET /v1/accounts', aspsp: 'bec' };
  const coded = (code: string, message = code, cause?: unknown) =>
    Object.assign(new Error(message, { cause }), { code });

  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ECONNRESET', 'network'],
    ['ECONNREFUSED', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'certificate'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'certificate'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'configuration'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'configuration'],
  ])('%s → %s', (code, kind) => {
    const { error } = classifyTransportError(coded(code), context, 1000);
    expect(error.kind).toBe(kind);
    expect(error).toMatchObject(context);
  });

  it('looks through the cause chain and at an alert the agent remembered', () => {
    const wrapped = coded('UND_ERR_SOCKET', 'other side closed', coded('ECONNRESET'));
    expect(classifyTransportError(wrapped, context, 1000).causeCode).toBe('UND_ERR_SOCKET');
    expect(
      classifyTransportError(coded('UND_ERR_SOCKET'), context, 1000, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED').error
        .kind,
    ).toBe('certificate');
    expect(
      classifyTransportError(new Error('write EPIPE: sslv3 alert bad certificate'), context, 1000).error.kind,
    ).toBe('certificate');
  });
});
