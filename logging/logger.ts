import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Anything that can carry a credential. pino's redaction works on paths, so the
 * header names are listed at the depths our log lines use them.
 */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'signature',
  'Signature',
  'tpp-signature-certificate',
  'TPP-Signature-Certificate',
  'cookie',
  'set-cookie',
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'code_verifier',
  'codeVerifier',
  'client_secret',
  'apiKey',
  'x-api-key',
  'privateKey',
  'password',
];

/** pino paths need bracket notation for names with dashes. */
const member = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [
  member(key).replace(/^\./, ''),
  `*${member(key)}`,
  `*.headers${member(key)}`,
  `*.*.headers${member(key)}`,
]);

export interface LoggerSettings {
  level?: string;
  pretty?: boolean;
  name?: string;
}

export function createLogger(settings: LoggerSettings = {}, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name: settings.name ?? 'openbanking',
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  if (settings.pretty && !destination) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return destination ? pino(options, destination) : pino(options);
}
