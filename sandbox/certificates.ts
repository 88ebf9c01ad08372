import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateSandboxCertificates, loadPemPair, writeCertificateSet } from '../xs2a/certs';
import type { SandboxCertificateSet } from '../xs2a/certs/types';

/**
 * The TPP's sandbox certificate set, as a bank portal would hand it out: reused
 * from `dir` when present (so restarts keep the same identity), else generated there.
 */
export function loadOrCreateTppCertificates(dir: string): { set: SandboxCertificateSet; generated: boolean } {
  const file = (name: string, ext: string) => join(dir, `${name}.${ext}`);
  if (['ca', 'qwac', 'qseal'].every((n) => existsSync(file(n, 'pem')) && existsSync(file(n, 'key')))) {
    const load = (n: string) => loadPemPair(file(n, 'pem'), file(n, 'key'));
    return { set: { ca: load('ca'), qwac: load('qwac'), qseal: load('qseal') }, generated: false };
  }
  const set = generateSandboxCertificates({
    organizationName: 'Sandbox TPP',
    organizationIdentifier: 'PSDDK-DFSA-12345678',
  });
  writeCertificateSet(set, dir);
  return { set, generated: true };
}
