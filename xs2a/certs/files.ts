import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { CertificateError } from './errors';
import { checkValidity, inspectCertificate, keyMatchesCertificate } from './inspect';
import type { CertificateInfo, PemPair, SandboxCertificateSet } from './types';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CertificateError(
      `cannot read file (${code ?? (err instanceof Error ? err.message : String(err))})`,
      path,
    );
  }
}

export function loadCertificateFile(path: string): { pem: string; info: CertificateInfo } {
  const pem = readText(path);
  return { pem, info: inspectCertificate(pem, path) };
}

export interface LoadPemPairOptions {
  /** Accept a certificate outside its validity period (default false: signing with one only earns a 401 later). */
  allowExpired?: boolean;
  now?: Date;
}

/** Throws a CertificateError naming the key file when it is not a usable unencrypted private key. */
function assertPrivateKey(keyPem: string, keyPath: string): void {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) throw new CertificateError('not a PEM private key', keyPath);
  if (/ENCRYPTED/.test(keyPem)) throw new CertificateError('encrypted private keys are not supported', keyPath);
  try {
    createPrivateKey(keyPem);
  } catch {
    // node's message can quote the input; keep key material out of errors.
    throw new CertificateError('not a readable private key', keyPath);
  }
}

export function loadPemPair(certPath: string, keyPath: string, options: LoadPemPairOptions = {}): PemPair {
  const { pem: certificatePem, info } = loadCertificateFile(certPath);
  const privateKeyPem = readText(keyPath);
  assertPrivateKey(privateKeyPem, keyPath);
  if (!keyMatchesCertificate(certificatePem, privateKeyPem)) {
    throw new CertificateError(`${keyPath} does not match ${certPath} (public keys differ)`, keyPath);
  }
  if (!options.allowExpired) {
    const validity = checkValidity(info, options.now ?? new Date(), 0, certPath);
    if (validity.expired || validity.notYetValid) throw new CertificateError(validity.warning!, certPath);
  }
  return { certificatePem, privateKeyPem };
}

export interface CertificateSetPaths {
  ca: { certificate: string; privateKey: string };
  qwac: { certificate: string; privateKey: string };
  qseal: { certificate: string; privateKey: string };
}

function writeFile(path: string, content: string, mode: number): void {
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // writeFileSync's mode applies only when it creates the file
}

/** Writes ca.pem, ca.key, qwac.pem, qwac.key, qseal.pem, qseal.key; keys get mode 0600. */
export function writeCertificateSet(set: SandboxCertificateSet, dir: string): CertificateSetPaths {
  mkdirSync(dir, { recursive: true });
  const paths = {} as CertificateSetPaths;
  for (const name of ['ca', 'qwac', 'qseal'] as const) {
    const certificate = join(dir, `${name}.pem`);
    const privateKey = join(dir, `${name}.key`);
    writeFile(certificate, set[name].certificatePem, 0o644);
    writeFile(privateKey, set[name].privateKeyPem, 0o600);
    paths[name] = { certificate, privateKey };
  }
  return paths;
}
