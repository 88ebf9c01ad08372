/**
 * A captured HTTP request as text: optional request line, "Name: value" header lines, one
 * blank line, then the body bytes exactly as sent. Only the header part's line endings are
 * interpreted (CRLF or LF); the body is never trimmed or re-encoded.
 */
export interface CapturedRequest {
  method?: string;
  path?: string;
  /** Names as written; repeated headers collected into arrays. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export class CapturedRequestError extends Error {
  override name = 'CapturedRequestError';
}

const REQUEST_LINE = /^([A-Za-z]+) (\S+)(?: HTTP\/\d(?:\.\d)?)?$/;

export function parseCapturedRequest(bytes: Buffer, source = 'request'): CapturedRequest {
  // latin1 maps bytes 1:1 to code units, so regex offsets are byte offsets.
  const asLatin1 = bytes.toString('latin1');
  const separator = /\r?\n\r?\n/.exec(asLatin1);
  const headerEnd = separator ? separator.index : asLatin1.replace(/\r?\n$/, '').length;
  const body = separator ? bytes.subarray(separator.index + separator[0].length) : Buffer.alloc(0);
  const lines = bytes.subarray(0, headerEnd).toString('utf8').split(/\r?\n/);

  const request: CapturedRequest = { headers: {}, body: Buffer.from(body) };
  const first = lines[0] ?? '';
  const requestLine = REQUEST_LINE.exec(first);
  // A header line never matches: its name is followed by ":" with no space before it.
  if (requestLine) {
    request.method = requestLine[1].toUpperCase();
    request.path = requestLine[2]!;
    lines.shift();
  }

  let last: string | undefined;
  lines.forEach((line, idx) => {
    if (line === '') return;
    if (/^[ \t]/.test(line) && last) {
      // obs-fold continuation (RFC 7230 §3.2.4): part of the previous header's value.
      const current = request.headers[last];
      if (Array.isArray(current)) current[current.length - 1] = `${current[current.length - 1]} ${line.trim()}`;
      else request.headers[last] = `${current} ${line.trim()}`;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new CapturedRequestError(
        `${source}: line ${idx + 1 + (request.method ? 1 : 0)} is not "Name: value": "${line.slice(0, 60)}"`,
      );
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const existingKey = Object.keys(request.headers).find((k) => k.toLowerCase() === name.toLowerCase());
    if (existingKey) {
      const existing = request.headers[existingKey];
      request.headers[existingKey] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      last = existingKey;
    } else {
      request.headers[name] = value;
      last = name;
    }
  });
  return request;
}

/** Serialises a request in the same format (LF line endings, body bytes appended as is). */
export function formatCapturedRequest(req: CapturedRequest): Buffer {
  const lines: string[] = [];
  if (req.method && req.path) lines.push(`${req.method} ${req.path} HTTP/1.1`);
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`, 'utf8'), req.body]);
}
