import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  CertificateError,
  PSD2_ROLES,
  checkValidity,
  generateSandboxCertificates,
  loadCertificateFile,
  loadPemPair,
  writeCertificateSet,
  type CertificateInfo,
  type Psd2Role,
} from '../certs';
import {
  SIGNATURE_STYLES,
  Xs2aSigner,
  normalizeDigestAlgorithm,
  verifyXs2aRequest,
  type SignatureStyle,
  type SignatureStyleName,
} from '../signing';
import { CapturedRequestError, formatCapturedRequest, parseCapturedRequest } from './captured-request';

/** Where a command writes; tests pass collectors, main.ts passes the process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Bad command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on (bad file, failed verification): exit code 1, message only. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const USAGE = `usage: npm run -s xs2a -- <command>

  certs generate --out DIR [--roles PSP_AI,PSP_PI] [--nca-id ID] [--nca-name NAME] [--org NAME]
                 [--org-id PSDDK-DFSA-12345678] [--valid-days N]
  certs inspect FILE.pem
  sign --cert QSEAL.pem --key QSEAL.key [--method POST] [--path /v1/consents]
       [--header 'X-Request-ID: …']... [--body-file F | --body STRING] [--style bec|enfuce]
       [--digest SHA-256|SHA-512] [--algorithm rsa-sha256|rsa-sha512] [--out REQUEST.txt]
  verify --request FILE [--cert FILE.pem] [--strict] [--at 2024-01-15T12:00:00Z]
`;

function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals)
      throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
    return parsed;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The fields `certs inspect` promises, in a stable order. */
function inspectJson(info: CertificateInfo): Record<string, unknown> {
  return {
    serialNumber: info.serialNumber,
    issuer: info.issuer,
    subject: info.subject,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    psd2: info.psd2 ? { roles: info.psd2.roles, ncaName: info.psd2.ncaName, ncaId: info.psd2.ncaId } : null,
  };
}

function parseRoles(value: string | undefined): Psd2Role[] | undefined {
  if (value === undefined) return undefined;
  const roles = value
    .split(',')
    .map((r) => r.trim().toUpperCase())
    .filter(Boolean);
  for (const role of roles) {
    if (!(PSD2_ROLES as readonly string[]).includes(role))
      throw new UsageError(`--roles: unknown role "${role}" (use ${PSD2_ROLES.join(', ')})`);
  }
  if (roles.length === 0) throw new UsageError('--roles: at least one role is required');
  return roles as Psd2Role[];
}

export function certsGenerateCommand(argv: string[], io: CliIo): number {
  const { values } = parse(argv, {
    out: { type: 'string' },
    roles: { type: 'string' },
    'nca-id': { type: 'string' },
    'nca-name': { type: 'string' },
    org: { type: 'string' },
    'org-id': { type: 'string' },
    'valid-days': { type: 'string' },
  });
  if (!values.out) throw new UsageError('certs generate: --out DIR is required');
  let validDays: number | undefined;
  if (values['valid-days'] !== undefined) {
    validDays = Number(values['valid-days']);
    if (!Number.isInteger(validDays) || validDays < 1) throw new UsageError('--valid-days must be a positive integer');
  }
  const set = generateSandboxCertificates({
    roles: parseRoles(values.roles),
    ncaId: values['nca-id'],
    ncaName: values['nca-name'],
    organizationName: values.org,
    organizationIdentifier: values['org-id'],
    validDays,
  });
  const files = writeCertificateSet(set, values.out);
  const certificates = Object.fromEntries(
    (['ca', 'qwac', 'qseal'] as const).map((name) => [
      name,
      inspectJson(loadCertificateFile(files[name].certificate).info),
    ]),
  );
  io.stdout(json({ files, certificates }));
  return EXIT_OK;
}

export function certsInspectCommand(argv: string[], io: CliIo): number {
  const { positionals } = parse(argv, {}, 1);
  const file = positionals[0];
  if (!file) throw new UsageError('certs inspect: FILE.pem is required');
  const { info } = loadCertificateFile(file);
  io.stdout(json(inspectJson(info)));
  const validity = checkValidity(info, new Date(), 30, file);
  if (validity.warning) io.stderr(`warning: ${validity.warning}\n`);
  return EXIT_OK;
}

function parseHeaderOption(raw: string): [string, string] {
  const colon = raw.indexOf(':');
  const name = colon > 0 ? raw.slice(0, colon).trim() : '';
  if (!name || /\s/.test(name)) throw new UsageError(`--header "${raw}" is not "Name: value"`);
  return [name, raw.slice(colon + 1).trim()];
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CommandError(
      `${path}: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

function resolveStyle(values: { style?: string; digest?: string; algorithm?: string }): SignatureStyle {
  const name = (values.style ?? 'bec').toLowerCase();
  if (!(name in SIGNATURE_STYLES))
    throw new UsageError(`--style must be one of ${Object.keys(SIGNATURE_STYLES).join(', ')}`);
  const style: SignatureStyle = { ...SIGNATURE_STYLES[name as SignatureStyleName] };
  if (values.digest !== undefined) {
    const digest = normalizeDigestAlgorithm(values.digest);
    if (!digest) throw new UsageError('--digest must be SHA-256 or SHA-512');
    style.digestAlgorithm = digest;
  }
  if (values.algorithm !== undefined) {
    const alg = values.algorithm.toLowerCase();
    if (alg !== 'rsa-sha256' && alg !== 'rsa-sha512')
      throw new UsageError('--algorithm must be rsa-sha256 or rsa-sha512');
    style.signatureAlgorithm = alg;
  }
  return style;
}

export function signCommand(argv: string[], io: CliIo): number {
  const { values } = parse(argv, {
    cert: { type: 'string' },
    key: { type: 'string' },
    method: { type: 'string' },
    path: { type: 'string' },
    header: { type: 'string', multiple: true },
    'body-file': { type: 'string' },
    body: { type: 'string' },
    style: { type: 'string' },
    digest: { type: 'string' },
    algorithm: { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.cert || !values.key) throw new UsageError('sign: --cert QSEAL.pem and --key QSEAL.key are required');
  if (values['body-file'] !== undefined && values.body !== undefined)
    throw new UsageError('sign: give --body-file or --body, not both');
  const style = resolveStyle(values);
  const headers: Record<string, string> = {};
  for (const raw of values.header ?? []) {
    const [name, value] = parseHeaderOption(raw);
    headers[name] = value;
  }
  let generatedRequestId: string | undefined;
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'x-request-id')) {
    generatedRequestId = randomUUID();
    headers['X-Request-ID'] = generatedRequestId;
  }
  const body =
    values['body-file'] !== undefined
      ? readFile(values['body-file'], 'body file')
      : Buffer.from(values.body ?? '', 'utf8');
  const signer = new Xs2aSigner(loadPemPair(values.cert, values.key), style);
  const signed = signer.sign(headers, body);

  const lines: string[] = [];
  if (generatedRequestId) lines.push(`X-Request-ID: ${generatedRequestId}`);
  lines.push(
    `Digest: ${signed.Digest}`,
    `Signature: ${signed.Signature}`,
    `TPP-Signature-Certificate: ${signed['TPP-Signature-Certificate']}`,
  );
  io.stdout(`${lines.join('\n')}\n`);

  if (values.out) {
    const method = (values.method ?? 'POST').toUpperCase();
    const request = formatCapturedRequest({
      method,
      path: values.path ?? '/v1/consents',
      headers: { ...headers, ...signed },
      body,
    });
    writeFileSync(values.out, request);
    io.stderr(`wrote ${values.out}\n`);
  }
  return EXIT_OK;
}

export function verifyCommand(argv: string[], io: CliIo): number {
  const { values } = parse(argv, {
    request: { type: 'string' },
    cert: { type: 'string' },
    strict: { type: 'boolean' },
    at: { type: 'string' },
  });
  if (!values.request) throw new UsageError('verify: --request FILE is required');
  const at = values.at === undefined ? undefined : parseAt(values.at);
  const captured = parseCapturedRequest(readFile(values.request, 'request file'), values.request);
  const certificatePem = values.cert ? loadCertificateFile(values.cert).pem : undefined;
  const result = verifyXs2aRequest(
    {
      headers: captured.headers,
      body: captured.body,
      certificatePem,
      strict: values.strict === true,
    },
    at ? { now: at } : {},
  );
  io.stdout(
    json({
      ok: result.ok,
      ...(at ? { at: at.toISOString() } : {}),
      keyId: result.keyId ?? null,
      keyIdCaEncoding: result.keyIdCaEncoding ?? null,
      signedHeaders: result.signedHeaders ?? null,
      errors: result.errors,
      warnings: result.warnings,
    }),
  );
  for (const issue of result.errors) io.stderr(`error: ${issue.code}: ${issue.message}\n`);
  for (const issue of result.warnings) io.stderr(`warning: ${issue.code}: ${issue.message}\n`);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

/** --at: an ISO 8601 time with its zone (a date alone means its midnight UTC), e.g. when a request was captured. */
function parseAt(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
  const at = new Date(value);
  if (!iso.test(value) || Number.isNaN(at.getTime()))
    throw new UsageError(`--at must be an ISO 8601 time such as 2024-01-15T12:00:00Z, not "${value}"`);
  return at;
}

/** Dispatches a command line; returns the exit code and never throws. */
export function runCli(argv: string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'certs': {
        const [sub, ...args] = rest;
        if (sub === 'generate') return certsGenerateCommand(args, io);
        if (sub === 'inspect') return certsInspectCommand(args, io);
        throw new UsageError(sub ? `unknown certs command "${sub}"` : 'certs needs a subcommand: generate or inspect');
      }
      case 'sign':
        return signCommand(rest, io);
      case 'verify':
        return verifyCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return EXIT_OK;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (err instanceof CertificateError || err instanceof CommandError || err instanceof CapturedRequestError) {
      io.stderr(`error: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    // Unexpected: still one line, no stack trace, for a developer tool's users.
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
