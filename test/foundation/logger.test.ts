import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

describe('logger redaction', () => {
  it('redacts credentials in request headers and token bodies', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer SECRET-TOKEN',
            'x-request-id': 'abc',
            'tpp-signature-certificate': 'MIIB-CERT',
          },
        },
        token: { access_token: 'AT-SECRET', refresh_token: 'RT-SECRET' },
        signature: 'keyId="SN=1",signature="SIG"',
      },
      'bank call',
    );
    const out = lines.join('');
    for (const secret of ['SECRET-TOKEN', 'MIIB-CERT', 'AT-SECRET', 'RT-SECRET', 'SIG"'])
      expect(out).not.toContain(secret);
    expect(out).toContain('"x-request-id":"abc"');
    expect(out).toContain('[redacted]');
  });
});
