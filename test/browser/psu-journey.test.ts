import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { fetch } from 'undici';
import { parseEnv } from '../../config/env';
import { startLocalService, type LocalService } from '../../scripts/local-service';
import { testLogger } from '../helpers/logger';

const CHROMIUM = '/usr/bin/chromium';

/** Our product's page the PSU lands on after the bank and our callback. */
function startProductPage(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/html');
    res.end(`<h1 id="landed">Back in the product</h1><p id="outcome">${url.searchParams.get('outcome')}</p>`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/connected` }),
    ),
  );
}

describe('the PSU journey in a real browser (Debian chromium, playwright-core)', () => {
  let service: LocalService;
  let browser: Browser;
  let product: { server: Server; url: string };
  const dir = mkdtempSync(join(tmpdir(), 'ob-browser-'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: 'npm test' installs Debian's chromium through scripts/setup.sh (needs root and apt)`,
      );
    product = await startProductPage();
    const env = parseEnv({ API_PORT: '0', LOG_LEVEL: 'silent' });
    service = await startLocalService({
      env,
      logger: testLogger(),
      varDir: dir,
      temporalAddress: inject('temporalAddress'),
      ports: { api: 0, bec: 0, rocker: 0, st1: 0, admin: 0 },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    product?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${service.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${service.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  async function waitForSync(id: string) {
    for (let i = 0; i < 100; i++) {
      const { body } = await api('GET', `/v1/connections/${id}`);
      if (body.lastSyncAt && body.status === 'active') return body;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`connection ${id} did not sync`);
  }

  describe.each([
    ['bec', /MitID|BEC/i],
    ['enfuce-rocker', /Rocker/i],
  ])('%s', (aspspId, bankName) => {
    it('approve: bank page, back through our callback to the product, accounts and transactions in the API', async () => {
      const created = await api('POST', '/v1/connections', {
        aspspId,
        customerId: 'browser-customer',
        redirectUrl: product.url,
      });
      expect(created.status).toBe(201);

      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(created.body.authorisationUrl);
      await expect.poll(() => page.textContent('body')).toMatch(bankName);
      expect(await page.inputValue('input[name="psu"]')).not.toBe('');
      await Promise.all([page.waitForURL(`${product.url}**`), page.click('button[name="decision"][value="approve"]')]);
      const landed = new URL(page.url());
      expect(landed.searchParams.get('connectionId')).toBe(created.body.id);
      expect(landed.searchParams.get('outcome')).toBe('approved');
      expect(await page.textContent('#landed')).toBe('Back in the product');
      await context.close();

      await waitForSync(created.body.id);
      const accounts = await api('GET', `/v1/connections/${created.body.id}/accounts`);
      expect(accounts.body.accounts.length).toBeGreaterThan(0);
      const txns = await api('GET', `/v1/accounts/${accounts.body.accounts[0].id}/transactions?limit=10`);
      expect(txns.body.transactions.length).toBe(10);
    });

    it('deny: back at the product with outcome=denied, connection rejected', async () => {
      const created = await api('POST', '/v1/connections', {
        aspspId,
        customerId: 'browser-customer',
        redirectUrl: product.url,
      });
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(created.body.authorisationUrl);
      await Promise.all([page.waitForURL(`${product.url}**`), page.click('button[name="decision"][value="deny"]')]);
      expect(new URL(page.url()).searchParams.get('outcome')).toBe('denied');
      await context.close();
      await expect
        .poll(async () => (await api('GET', `/v1/connections/${created.body.id}`)).body.status, { timeout: 10_000 })
        .toBe('rejected');
    });
  });
  it('a payment: the PSU approves at the BEC MitID page, lands on the product, the payment completes', async () => {
    const created = await api('POST', '/v1/payments', {
      aspspId: 'bec',
      customerId: 'browser-customer',
      product: 'instant-sepa-credit-transfers',
      debtorAccount: { iban: 'DK8004004012345678' },
      creditorAccount: { iban: 'DK1961406140009127' },
      creditorName: 'Vognmand Jensen ApS',
      instructedAmount: { currency: 'DKK', amount: '25.00' },
      remittanceInformationUnstructured: 'Browser test',
      redirectUrl: product.url,
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('awaiting_authorisation');

    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(created.body.authorisationUrl);
    await expect.poll(() => page.textContent('body')).toMatch(/Approve payment/);
    expect(await page.textContent('body')).toContain('25.00 DKK');
    await page.fill('input[name="psu"]', 'bec-psu-1');
    await Promise.all([page.waitForURL(`${product.url}**`), page.click('button[name="decision"][value="approve"]')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('paymentId')).toBe(created.body.id);
    expect(landed.searchParams.get('outcome')).toBe('approved');
    await context.close();

    await expect
      .poll(async () => (await api('GET', `/v1/payments/${created.body.id}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    expect((await api('GET', `/v1/payments/${created.body.id}`)).body.bankStatus).toBe('ACSC');
  });
});
