import { z } from 'zod';
import { certificateDerBase64, inspectCertificate } from '../xs2a/certs';
import { aisRoutes, requireUsableConsent } from './ais';
import type { BankRuntime, Route, RouteRequest } from './bank-server';
import { consentJson, createConsentFrom, ownConsent, redirectHeader } from './consents';
import { ApiFailure, redirect, sendHtml, sendJson, sendNoContent } from './http';
import { consentPage, messagePage, paymentPage } from './psu-pages';
import { SandboxStateError, type PaymentRecord } from './state';

/** BEC: the shared API of many Danish banks, below /psd2/{bankId}; MitID redirect SCA. */

export const DEFAULT_BEC_BANK_IDS = ['0400', '6140', '9070'];
export const BEC_PAYMENT_PRODUCTS = [
  'sepa-credit-transfers',
  'instant-sepa-credit-transfers',
  'cross-border-credit-transfers',
];

const P = '/psd2/:bankId';

/**
 * BEC's enrolment is outside the Berlin Group spec. The certificate enrolled is the one the request
 * is signed with (TPP-Signature-Certificate); `signatureCertificate`, when sent, must be that same
 * certificate (base64 DER, PEM armour tolerated).
 */
export const enrolmentBodySchema = z
  .object({
    signatureCertificate: z.string().min(1).max(20_000).optional(),
    tppName: z.string().min(1).max(140).optional(),
    contactEmail: z.string().email().optional(),
  })
  .passthrough();

const stripArmour = (value: string) => value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

function orgId(r: RouteRequest): string {
  return r.qwac!.info.organizationIdentifier!;
}

function bankName(bankId: string): string {
  return `BEC (reg. no. ${bankId})`;
}

/** 404 for another TPP's payment, as for one that does not exist. */
function ownPayment(rt: BankRuntime, r: RouteRequest, paymentId: string, product: string): PaymentRecord {
  const payment = rt.state.getPayment(paymentId);
  const owner = rt.side.paymentTpp.get(paymentId);
  if (!payment || payment.product !== product || owner?.orgId !== orgId(r)) {
    throw new ApiFailure(404, 'RESOURCE_UNKNOWN', `Payment ${paymentId} is not known`);
  }
  return payment;
}

function requireProduct(product: string): void {
  if (!BEC_PAYMENT_PRODUCTS.includes(product)) {
    throw new ApiFailure(
      404,
      'PRODUCT_UNKNOWN',
      `Payment product ${product} is not offered; use ${BEC_PAYMENT_PRODUCTS.join(', ')}`,
    );
  }
}

export function becGuard(bankIds: readonly string[]): (params: Record<string, string>) => void {
  return (params) => {
    if (params.bankId !== undefined && !bankIds.includes(params.bankId)) {
      throw new ApiFailure(
        404,
        'RESOURCE_UNKNOWN',
        `BEC bank ${params.bankId} is not served here (known: ${bankIds.join(', ')})`,
      );
    }
  };
}

export function becRoutes(): Route[] {
  const consentRoutes: Route[] = [
    {
      method: 'POST',
      pattern: `${P}/v1/enrolment`,
      kind: 'api',
      role: 'any',
      bodySchema: enrolmentBodySchema,
      skipEnrolmentCheck: true,
      handle(r, rt) {
        const pem = r.verification!.certificatePem!;
        const { signatureCertificate } = r.json as z.infer<typeof enrolmentBodySchema>;
        if (signatureCertificate !== undefined && stripArmour(signatureCertificate) !== certificateDerBase64(pem)) {
          throw new ApiFailure(
            400,
            'FORMAT_ERROR',
            'signatureCertificate is not the certificate this request is signed with',
            'signatureCertificate',
          );
        }
        const { serialNumber } = inspectCertificate(pem);
        const enrolment = rt.state.enrolCertificate({
          tppOrgId: orgId(r),
          certificateDerBase64: certificateDerBase64(pem),
          serialNumber,
        });
        sendJson(r.res, 201, { ...enrolment, organizationIdentifier: orgId(r) }, r.responseHeaders);
      },
    },
    {
      method: 'POST',
      pattern: `${P}/v1/consents`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: () => '/v1/consents',
      handle(r, rt) {
        const bankId = r.params.bankId;
        const redirectUri = redirectHeader(r, 'TPP-Redirect-URI', true);
        const nokRedirectUri = redirectHeader(r, 'TPP-Nok-Redirect-URI', false);
        const consent = createConsentFrom(r, rt, { bankId, redirectUri, nokRedirectUri });
        const self = `/v1/consents/${consent.consentId}`;
        sendJson(
          r.res,
          201,
          {
            consentStatus: consent.status,
            consentId: consent.consentId,
            _links: {
              scaRedirect: { href: `${rt.origin}/psd2/${bankId}/psu/consents/${consent.consentId}` },
              self: { href: self },
              status: { href: `${self}/status` },
            },
          },
          { ...r.responseHeaders, location: `${rt.origin}/psd2/${bankId}${self}`, 'aspsp-sca-approach': 'REDIRECT' },
        );
      },
    },
    {
      method: 'GET',
      pattern: `${P}/v1/consents/:consentId`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}`,
      handle(r, rt) {
        sendJson(r.res, 200, consentJson(ownConsent(rt, r, r.params.consentId, r.params.bankId)), r.responseHeaders);
      },
    },
    {
      method: 'GET',
      pattern: `${P}/v1/consents/:consentId/status`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}/status`,
      handle(r, rt) {
        const consent = ownConsent(rt, r, r.params.consentId, r.params.bankId);
        sendJson(r.res, 200, { consentStatus: consent.status }, r.responseHeaders);
      },
    },
    {
      method: 'DELETE',
      pattern: `${P}/v1/consents/:consentId`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}`,
      handle(r, rt) {
        const consent = ownConsent(rt, r, r.params.consentId, r.params.bankId);
        rt.state.revokeConsent(consent.consentId, 'tpp');
        sendNoContent(r.res, r.responseHeaders);
      },
    },
  ];

  /** Data reads: authentication is the Consent-ID header, then the consent's status, then frequencyPerDay. */
  const readConsent = (r: RouteRequest, rt: BankRuntime) =>
    requireUsableConsent(rt, r.header('consent-id') ?? '', orgId(r), r.params.bankId);

  const accountRoutes = aisRoutes({ prefix: P, flavour: 'accounts', readConsent });

  const paymentRoutes: Route[] = [
    {
      method: 'POST',
      pattern: `${P}/v1/payments/:product`,
      kind: 'api',
      role: 'PSP_PI',
      specPath: (r) => `/v1/payments/${r.params.product}`,
      handle(r, rt) {
        const { bankId, product } = r.params;
        requireProduct(product);
        const redirectUri = redirectHeader(r, 'TPP-Redirect-URI', true)!;
        const nokRedirectUri = redirectHeader(r, 'TPP-Nok-Redirect-URI', false) ?? redirectUri;
        const body = r.json as {
          instructedAmount: { amount: string; currency: string };
          debtorAccount: { iban?: string };
          creditorAccount?: { iban?: string };
          creditorName: string;
        };
        if (!body.debtorAccount?.iban)
          throw new ApiFailure(400, 'FORMAT_ERROR', 'debtorAccount.iban is required', 'debtorAccount.iban');
        const payment = rt.state.createPayment({
          product,
          debtorIban: body.debtorAccount.iban,
          amount: body.instructedAmount.amount,
          currency: body.instructedAmount.currency,
          creditorIban: body.creditorAccount?.iban,
          creditorName: body.creditorName,
          redirectUri,
          nokRedirectUri,
        });
        rt.side.paymentTpp.set(payment.paymentId, { name: r.qwac!.displayName, orgId: orgId(r) });
        const self = `/v1/payments/${product}/${payment.paymentId}`;
        sendJson(
          r.res,
          201,
          {
            transactionStatus: payment.status,
            paymentId: payment.paymentId,
            _links: {
              scaRedirect: { href: `${rt.origin}/psd2/${bankId}/psu/payments/${payment.paymentId}` },
              self: { href: self },
              status: { href: `${self}/status` },
            },
          },
          { ...r.responseHeaders, location: `${rt.origin}/psd2/${bankId}${self}`, 'aspsp-sca-approach': 'REDIRECT' },
        );
      },
    },
    {
      method: 'GET',
      pattern: `${P}/v1/payments/:product/:paymentId`,
      kind: 'api',
      role: 'PSP_PI',
      specPath: (r) => `/v1/payments/${r.params.product}/${r.params.paymentId}`,
      handle(r, rt) {
        requireProduct(r.params.product);
        const p = ownPayment(rt, r, r.params.paymentId, r.params.product);
        sendJson(
          r.res,
          200,
          {
            instructedAmount: { currency: p.currency, amount: p.amount },
            debtorAccount: { iban: p.debtorIban },
            ...(p.creditorIban ? { creditorAccount: { iban: p.creditorIban } } : {}),
            creditorName: p.creditorName,
            transactionStatus: p.status,
          },
          r.responseHeaders,
        );
      },
    },
    {
      // BEC lets the TPP delete a payment until the PSU has approved it: 204, status CANC. After
      // that 405 CANCELLATION_INVALID (Berlin Group's "cancellation no longer possible").
      method: 'DELETE',
      pattern: `${P}/v1/payments/:product/:paymentId`,
      kind: 'api',
      role: 'PSP_PI',
      specPath: (r) => `/v1/payments/${r.params.product}/${r.params.paymentId}`,
      handle(r, rt) {
        requireProduct(r.params.product);
        const p = ownPayment(rt, r, r.params.paymentId, r.params.product);
        rt.state.cancelPayment(p.paymentId);
        sendNoContent(r.res, r.responseHeaders);
      },
    },
    {
      method: 'GET',
      pattern: `${P}/v1/payments/:product/:paymentId/status`,
      kind: 'api',
      role: 'PSP_PI',
      specPath: (r) => `/v1/payments/${r.params.product}/${r.params.paymentId}/status`,
      handle(r, rt) {
        requireProduct(r.params.product);
        const p = ownPayment(rt, r, r.params.paymentId, r.params.product);
        sendJson(r.res, 200, { transactionStatus: p.status }, r.responseHeaders);
      },
    },
    {
      method: 'POST',
      pattern: `${P}/v1/funds-confirmations`,
      kind: 'api',
      role: 'PSP_IC',
      specPath: () => '/v1/funds-confirmations',
      handle(r, rt) {
        const body = r.json as {
          account: { iban?: string; maskedPan?: string };
          instructedAmount: { amount: string; currency: string };
        };
        const available = rt.state.confirmFunds({
          iban: body.account.iban,
          maskedPan: body.account.maskedPan,
          ...body.instructedAmount,
        });
        if (available === undefined)
          throw new ApiFailure(400, 'RESOURCE_UNKNOWN', 'The account is not known at this bank', 'account');
        sendJson(r.res, 200, { fundsAvailable: available }, r.responseHeaders);
      },
    },
  ];

  const psuRoutes: Route[] = [
    {
      method: 'GET',
      pattern: `${P}/psu/consents/:consentId`,
      kind: 'psu',
      handle(r, rt) {
        showConsentPage(r, rt);
      },
    },
    {
      method: 'POST',
      pattern: `${P}/psu/consents/:consentId`,
      kind: 'psu',
      handle(r, rt) {
        const consent = rt.state.getConsent(r.params.consentId);
        if (!pageConsentOk(r, consent)) return;
        const decision = r.form?.get('decision');
        const psu = r.form?.get('psu') ?? '';
        if (decision !== 'approve' && decision !== 'deny') return showConsentPage(r, rt, psu, 'Choose Approve or Deny');
        if (!rt.state.testPsus().some((p) => p.id === psu)) return showConsentPage(r, rt, psu, `Unknown user "${psu}"`);
        try {
          const decided = rt.state.decideConsent(consent!.consentId, psu, decision);
          const target =
            decided.status === 'valid' ? decided.redirectUri : (decided.nokRedirectUri ?? decided.redirectUri);
          redirect(r.res, target ?? '/');
        } catch (err) {
          if (err instanceof SandboxStateError) return showConsentPage(r, rt, psu, err.message);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      pattern: `${P}/psu/payments/:paymentId`,
      kind: 'psu',
      handle(r, rt) {
        showPaymentPage(r, rt);
      },
    },
    {
      method: 'POST',
      pattern: `${P}/psu/payments/:paymentId`,
      kind: 'psu',
      handle(r, rt) {
        const payment = rt.state.getPayment(r.params.paymentId);
        if (!pagePaymentOk(r, rt, payment)) return;
        const decision = r.form?.get('decision');
        const psu = r.form?.get('psu') ?? '';
        if (decision !== 'approve' && decision !== 'deny') return showPaymentPage(r, rt, psu, 'Choose Approve or Deny');
        if (!rt.state.testPsus().some((p) => p.id === psu)) return showPaymentPage(r, rt, psu, `Unknown user "${psu}"`);
        try {
          const decided = rt.state.decidePayment(payment!.paymentId, psu, decision);
          redirect(r.res, decided.status === 'RJCT' ? decided.nokRedirectUri : decided.redirectUri);
        } catch (err) {
          if (err instanceof SandboxStateError) return showPaymentPage(r, rt, psu, err.message);
          throw err;
        }
      },
    },
  ];

  return [...consentRoutes, ...accountRoutes, ...paymentRoutes, ...psuRoutes];
}

function pageConsentOk(r: RouteRequest, consent: ReturnType<BankRuntime['state']['getConsent']>): boolean {
  const name = bankName(r.params.bankId);
  if (!consent || (consent.bankId !== undefined && consent.bankId !== r.params.bankId)) {
    sendHtml(r.res, 404, messagePage('mitid', name, 'Unknown consent', 'This consent does not exist.'));
    return false;
  }
  if (consent.status !== 'received') {
    sendHtml(r.res, 409, messagePage('mitid', name, 'Already decided', `This consent has status ${consent.status}.`));
    return false;
  }
  return true;
}

function showConsentPage(r: RouteRequest, rt: BankRuntime, psu?: string, error?: string): void {
  const consent = rt.state.getConsent(r.params.consentId);
  if (!pageConsentOk(r, consent)) return;
  const html = consentPage(
    {
      look: 'mitid',
      bankName: bankName(r.params.bankId),
      tppName: rt.side.consentTpp.get(consent!.consentId)?.name ?? consent!.tppOrgId,
      psus: rt.state.testPsus(),
      psu,
      error,
    },
    consent!,
  );
  sendHtml(r.res, error ? 400 : 200, html);
}

function pagePaymentOk(r: RouteRequest, rt: BankRuntime, payment: PaymentRecord | undefined): boolean {
  const name = bankName(r.params.bankId);
  if (!payment || !rt.side.paymentTpp.has(payment.paymentId)) {
    sendHtml(r.res, 404, messagePage('mitid', name, 'Unknown payment', 'This payment does not exist.'));
    return false;
  }
  if (payment.status !== 'RCVD') {
    sendHtml(r.res, 409, messagePage('mitid', name, 'Already decided', `This payment has status ${payment.status}.`));
    return false;
  }
  return true;
}

function showPaymentPage(r: RouteRequest, rt: BankRuntime, psu?: string, error?: string): void {
  const payment = rt.state.getPayment(r.params.paymentId);
  if (!pagePaymentOk(r, rt, payment)) return;
  const html = paymentPage(
    {
      look: 'mitid',
      bankName: bankName(r.params.bankId),
      tppName: rt.side.paymentTpp.get(payment!.paymentId)?.name ?? 'TPP',
      psus: rt.state.testPsus(),
      psu,
      error,
    },
    payment!,
  );
  sendHtml(r.res, error ? 400 : 200, html);
}
