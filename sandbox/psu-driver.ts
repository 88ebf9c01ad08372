/** Drives a sandbox bank's PSU page without a browser: for tests, the demo and scripts. */
import { Agent, fetch } from 'undici';

export interface PsuDecision {
  /** Where the bank sent the PSU back to: our callback URL with state (and code). */
  location: string;
  pageHtml: string;
}

function formFields(html: string): { action?: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/i.exec(html)?.[1];
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = /name="([^"]*)"/i.exec(m[0])?.[1];
    const value = /value="([^"]*)"/i.exec(m[0])?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return { action: action === undefined ? undefined : decodeEntities(action), fields };
}

/** The page's HTML escaping undone; &amp; last, so an escaped "&lt;" stays the text "&lt;". */
function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * A PSU without a browser: opens the bank's page at the authorisation URL (no
 * client certificate, as a PSU has none), submits the plain HTML form with the
 * chosen decision, and returns where the bank redirects to.
 */
export async function psuDecides(
  authorisationUrl: string,
  bankCaPem: string,
  decision: 'approve' | 'deny',
  psuId?: string,
): Promise<PsuDecision> {
  const dispatcher = new Agent({ connect: { ca: bankCaPem } });
  try {
    const page = await fetch(authorisationUrl, { dispatcher });
    const pageHtml = await page.text();
    if (page.status !== 200) throw new Error(`bank page answered ${page.status}: ${pageHtml.slice(0, 300)}`);
    const { action, fields } = formFields(pageHtml);
    if (psuId) fields.psu = psuId;
    fields.decision = decision;
    const target = new URL(action ?? '', authorisationUrl);
    const answer = await fetch(target, {
      dispatcher,
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const location = answer.headers.get('location');
    if (answer.status !== 302 || !location)
      throw new Error(`bank answered the decision with ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
    return { location, pageHtml };
  } finally {
    await dispatcher.close();
  }
}

/** The query of our callback URL as the API's /callback would receive it. */
export function callbackQuery(location: string): Record<string, string> {
  return Object.fromEntries(new URL(location).searchParams.entries());
}
