/** What the PSU's browser (or a client asking for JSON) gets back from GET /callback when it fails. */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The PSU is a person in a browser: a short page, never JSON or a stack trace. */
export function errorPage(title: string, message: string, retry = false): string {
  const next = retry
    ? '<p><a href="">Try again</a> (this page reloads itself in a few seconds).</p>'
    : '<p>Please return to the app you came from and start connecting your bank again.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${
    retry ? '<meta http-equiv="refresh" content="10">' : ''
  }<title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${next}
</body></html>`;
}

/**
 * How the answer is written: a short HTML page for a person in a browser (the default, and what a
 * browser's Accept asks for), RFC 9457 problem+json for a client that prefers JSON.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let html = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (range === 'text/html' || range === 'text/*' || range === '*/*') html = Math.max(html, q);
    if (range === 'application/json' || range === 'application/problem+json' || range === 'application/*')
      json = Math.max(json, q);
  }
  return json > 0 && json > html;
}
