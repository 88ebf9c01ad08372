/**
 * Every certificate problem names where it came from (a file name or a field) so a TPP
 * developer can fix the right file without reading a stack trace.
 */
export class CertificateError extends Error {
  readonly source?: string;

  constructor(message: string, source?: string) {
    super(
      source && !message.startsWith(`${source}:`) && !message.startsWith(`${source} `)
        ? `${source}: ${message}`
        : message,
    );
    this.name = 'CertificateError';
    this.source = source;
  }
}
