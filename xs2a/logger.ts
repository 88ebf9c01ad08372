/**
 * The logging the XS2A library needs, so that it depends on no application module.
 * pino's Logger satisfies it structurally; pass the application's logger (with its
 * credential redaction) to the transport.
 */
export interface Xs2aLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Xs2aLogger;
}
