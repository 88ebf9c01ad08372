import { describe, expect, it } from 'vitest';
import { bodyForLog, queryForLog } from '../../sandbox/request-log';

const SECRET = 'S3cr3t-Verifier_abcdefghijklmnopqrstuvwxyz0123';

describe('request log redaction', () => {
  const form = `grant_type=authorization_code&client_id=PSDDK-1&code=${SECRET}&code_verifier=${SECRET}&redirect_uri=https%3A%2F%2Ftpp.example%2Fcb`;

  it('redacts a form body whatever Content-Type it was sent with', () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', undefined]) {
      const logged = bodyForLog(Buffer.from(form), type)!;
      expect(logged, String(type)).not.toContain(SECRET);
      expect(logged).toContain('grant_type=authorization_code');
    }
    expect(bodyForLog(Buffer.from(form), 'text/plain', { tokenEndpoint: true })).not.toContain(SECRET);
  });

  it('redacts secret keys of a JSON body, and leaves other JSON as sent', () => {
    const logged = bodyForLog(
      Buffer.from(JSON.stringify({ grant_type: 'refresh_token', nested: { refresh_token: SECRET } })),
      'application/json',
    )!;
    expect(logged).not.toContain(SECRET);
    expect(JSON.parse(logged).nested.refresh_token).toBe('[redacted]');
    const plain = '{ "access": { "allPsd2": "allAccounts" } }';
    expect(bodyForLog(Buffer.from(plain), 'application/json')).toBe(plain);
  });

  it('on the token endpoint, a body that is not a form is logged as its length only', () => {
    const json = Buffer.from(JSON.stringify({ code: SECRET }));
    expect(bodyForLog(json, 'application/json', { tokenEndpoint: true })).toBe(`[${json.length} bytes]`);
    const garbage = Buffer.from(`code: ${SECRET}\n`);
    expect(bodyForLog(garbage, 'text/plain', { tokenEndpoint: true })).toBe(`[${garbage.length} bytes]`);
  });

  it('redacts the same fields in the query', () => {
    expect(queryForLog({ code: SECRET, state: 'st', refresh_token: [SECRET, SECRET] })).toEqual({
      code: '[redacted]',
      state: 'st',
      refresh_token: ['[redacted]', '[redacted]'],
    });
  });
});
