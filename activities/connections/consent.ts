import { randomUUID } from 'node:crypto';
import { Xs2aError } from '../../xs2a/errors';
import { createState, hashState } from '../../xs2a/oauth/pkce';
import type { ActivityDeps } from '../deps';
import { sendablePsuIp } from '../../banks/psu-ip';
import { bankActivity, ourCredentials } from '../failures';
import { connectionDeps, psuTokens, withClientToken } from './context';
import {
  deleteTokens,
  isoDate,
  recordEvent,
  requireConnection,
  requireConsent,
  setConsentStatus,
  storeTokens,
  loadTokens,
} from './repository';

const DAY_MS = 86_400_000;

/**
 * validUntil as asked, capped at the bank's maximum (the last valid day, inclusive).
 * A requested date already past (a re-authorisation after expiry) means "as long as the bank allows".
 */
function consentValidUntil(requested: string | null, maxDays: number, now: number): string {
  const max = isoDate(now + (maxDays - 1) * DAY_MS);
  return requested && requested < max && requested >= isoDate(now) ? requested : max;
}

/** The bank calls of a consent's life: create, complete, refresh tokens, revoke. */
export function createConsentActivities(deps: ActivityDeps) {
  const d = () => connectionDeps(deps);

  return {
    /**
     * Creates the consent at the bank and the PSU's authorisation URL. The state is
     * stored as a hash and the PKCE verifier encrypted; only the URL leaves.
     */
    async createConsent(input: { connectionId: string; psuIpAddress?: string }): Promise<ConsentStarted> {
      return bankActivity(async () => {
        const c = d();
        const now = c.now();
        const connection = await requireConnection(c.repositories, input.connectionId);
        const bank = c.banks.get(connection.aspspId);
        const { profile } = bank;
        const validUntil = consentValidUntil(connection.requestedValidUntil, profile.consent.maxValidityDays, now);
        const state = createState();
        // Runs of the previous release pass the IP in their input; new ones leave it in the row.
        const psuIpAddress = sendablePsuIp(profile, input.psuIpAddress ?? connection.psuIpAddress);
        const request = {
          access: (connection.access as never) ?? { accounts: [], balances: [], transactions: [] },
          recurringIndicator: true,
          validUntil,
          frequencyPerDay: connection.frequencyPerDay,
          combinedServiceIndicator: false,
        };
        const {
          consent: created,
          authorisationUrl,
          codeVerifier,
        } = await ourCredentials(() =>
          bank.sca.startConsent({
            request,
            // Mandatory on POST /consents; the API refuses an address the bank cannot take, so this
            // placeholder only stands in where no PSU address was given at all.
            psuIpAddress: psuIpAddress ?? '0.0.0.0',
            callbackUrl: c.callbackUrl,
            state,
            now,
          }),
        );

        const consentRowId = `cns_${randomUUID()}`;
        const authorisationId = `auth_${randomUUID()}`;
        const verifier = codeVerifier ? c.cipher.encrypt(codeVerifier, `${authorisationId}:verifier`) : undefined;
        // Same (active) key as the verifier: the row has one key_id.
        const url = c.cipher.encrypt(authorisationUrl, `${authorisationId}:url`);
        await c.repositories.consents.insertWithSession(
          {
            id: consentRowId,
            connectionId: connection.id,
            bankConsentId: created.consentId,
            status: created.consentStatus,
            validUntil,
            frequencyPerDay: connection.frequencyPerDay,
            recurringIndicator: true,
            createdAt: now,
            updatedAt: now,
          },
          {
            id: authorisationId,
            subjectType: 'connection',
            subjectId: connection.id,
            connectionId: connection.id,
            consentId: consentRowId,
            stateHash: hashState(state),
            keyId: verifier?.keyId ?? c.cipher.activeKeyId,
            codeVerifierEnc: verifier?.value ?? null,
            authorisationUrlEnc: url.value,
            psuIpAddress: psuIpAddress ?? null,
            expiresAt: now + 24 * 3_600_000,
            createdAt: now,
          },
        );
        await recordEvent(
          c.repositories,
          connection.id,
          'consent_created',
          { bankConsentId: created.consentId, validUntil, frequencyPerDay: connection.frequencyPerDay },
          consentRowId,
        );
        // The URL carries an OAuth bank's state: it stays in the SCA session row, out of history.
        return { authorisationId, consentRowId };
      });
    },

    /** After the PSU approved: exchange the code (OAuth banks) and confirm the consent is valid. */
    async completeAuthorisation(input: { connectionId: string; authorisationId: string }) {
      return bankActivity(async () => {
        const c = d();
        const now = c.now();
        const auth = await c.repositories.scaSessions.get(input.authorisationId);
        if (!auth || auth.subjectType !== 'connection' || auth.subjectId !== input.connectionId || !auth.consentId)
          throw new Error(`authorisation ${input.authorisationId} does not belong to ${input.connectionId}`);
        const connection = await requireConnection(c.repositories, input.connectionId);
        const consent = await requireConsent(c.repositories, auth.consentId);
        const bank = c.banks.get(connection.aspspId);

        let tokenExpiresAt: number | undefined;
        let refreshTokenExpiresAt: number | undefined;
        if (bank.sca.exchangesCode) {
          const stored = await loadTokens(c.repositories, c.cipher, connection.id);
          if (stored && auth.outcome === 'approved' && !auth.codeEnc && stored.expiresAt > now) {
            tokenExpiresAt = stored.expiresAt; // a retry after the exchange already succeeded
            refreshTokenExpiresAt = stored.refreshExpiresAt;
          } else {
            if (!auth.codeEnc || !auth.codeVerifierEnc)
              throw new Xs2aError('no authorisation code was received for this authorisation', {
                kind: 'grant_invalid',
                aspsp: bank.profile.id,
              });
            const code = c.cipher.decrypt(auth.keyId, auth.codeEnc, `${auth.id}:code`);
            const codeVerifier = c.cipher.decrypt(auth.keyId, auth.codeVerifierEnc, `${auth.id}:verifier`);
            let tokenSet: Awaited<ReturnType<typeof bank.sca.completeAuthorisation>>;
            try {
              tokenSet = await bank.sca.completeAuthorisation({ code, codeVerifier, callbackUrl: c.callbackUrl });
            } catch (err) {
              // The bank refused the code (another session's, spent, expired): this session is not
              // over. Forget the code, keep the verifier, and let the PSU's real return be heard.
              if (err instanceof Xs2aError && err.kind === 'grant_invalid') await reopenSession(c, auth.id);
              throw err;
            }
            await storeTokens(c.repositories, c.cipher, connection.id, consent.id, tokenSet, now);
            // Single use: wipe the code and verifier as soon as they are spent.
            await c.repositories.scaSessions.update(auth.id, {
              codeEnc: null,
              codeVerifierEnc: null,
              completedAt: now,
            });
            tokenExpiresAt = tokenSet.expiresAt;
            refreshTokenExpiresAt = tokenSet.refreshExpiresAt;
          }
        }
        // A refused client token is renewed once; refused again, it is our credentials, not the PSU's consent.
        const details = await ourCredentials(() =>
          withClientToken(bank, now, (accessToken) => bank.client.getConsent(consent.bankConsentId, { accessToken })),
        );
        await setConsentStatus(c.repositories, consent.id, details.consentStatus, now);
        // The PSU came back before deciding (the bank still has the consent as received): the
        // session waits for the real return.
        if (details.consentStatus === 'received') await reopenSession(c, auth.id);
        if (details.consentStatus === 'valid') {
          const previous =
            connection.currentConsentId && connection.currentConsentId !== consent.id
              ? connection.currentConsentId
              : undefined;
          await c.repositories.connections.activateConsent(
            connection.id,
            consent.id,
            { validUntil: details.validUntil, frequencyPerDay: details.frequencyPerDay },
            now,
          );
          await recordEvent(
            c.repositories,
            connection.id,
            'consent_authorised',
            { validUntil: details.validUntil },
            consent.id,
          );
          if (previous) await retireConsent(c, bank, connection.id, previous, now);
        }
        return {
          consentRowId: consent.id,
          consentStatus: details.consentStatus,
          validUntil: details.validUntil,
          frequencyPerDay: details.frequencyPerDay,
          tokenExpiresAt,
          ...(refreshTokenExpiresAt !== undefined ? { refreshTokenExpiresAt } : {}),
        };
      });
    },

    async refreshTokens(input: { connectionId: string }) {
      return bankActivity(async () => {
        const c = d();
        const connection = await requireConnection(c.repositories, input.connectionId);
        const bank = c.banks.get(connection.aspspId);
        if (!connection.currentConsentId)
          throw new Xs2aError('no authorised consent to refresh tokens for', { kind: 'consent_invalid' });
        const tokens = await psuTokens(c, bank, connection.id, connection.currentConsentId, true);
        await recordEvent(c.repositories, connection.id, 'tokens_refreshed', undefined, connection.currentConsentId);
        return {
          expiresAt: tokens.expiresAt ?? (await loadTokens(c.repositories, c.cipher, connection.id))!.expiresAt,
          ...(tokens.refreshExpiresAt !== undefined ? { refreshTokenExpiresAt: tokens.refreshExpiresAt } : {}),
        };
      });
    },

    /** Deletes the consent at the bank (idempotent) and forgets the tokens. */
    async revokeConsent(input: { connectionId: string }) {
      return bankActivity(async () => {
        const c = d();
        const now = c.now();
        const connection = await requireConnection(c.repositories, input.connectionId);
        const bank = c.banks.get(connection.aspspId);
        const open = (await c.repositories.consents.listByConnection(connection.id)).filter(
          (row) => row.status === 'valid' || row.status === 'received',
        );
        for (const row of open) await retireConsent(c, bank, connection.id, row.id, now);
        await c.repositories.scaSessions.closePendingOf('connection', connection.id, {
          outcome: 'expired',
          codeEnc: null,
          codeVerifierEnc: null,
        });
        await deleteTokens(c.repositories, connection.id);
        await recordEvent(c.repositories, connection.id, 'connection_revoked');
      });
    },
  };
}

/**
 * An SCA session whose return did not settle it (the consent still `received`, the code refused)
 * goes back to pending: the next GET /callback with its state counts as a new return.
 */
function reopenSession(c: ReturnType<typeof connectionDeps>, authorisationId: string): Promise<void> {
  return c.repositories.scaSessions.update(authorisationId, {
    outcome: 'pending',
    codeEnc: null,
    error: null,
    completedAt: null,
  });
}

/** What createConsent hands the workflow: ids only (runs of the previous release also got the URL). */
export interface ConsentStarted {
  authorisationId: string;
  consentRowId: string;
  /** Only in results recorded by the previous release; the URL now stays in the session row. */
  authorisationUrl?: string;
}

/** Ends a consent at the bank (DELETE, which the client treats as done when the bank no longer knows it). */
async function retireConsent(
  c: ReturnType<typeof connectionDeps>,
  bank: ReturnType<ReturnType<typeof connectionDeps>['banks']['get']>,
  connectionId: string,
  consentRowId: string,
  now: number,
) {
  const consent = await requireConsent(c.repositories, consentRowId);
  if (consent.status === 'valid' || consent.status === 'received') {
    await withClientToken(bank, now, (accessToken) =>
      bank.client.deleteConsent(consent.bankConsentId, { accessToken }),
    );
  }
  await setConsentStatus(c.repositories, consentRowId, 'terminatedByTpp', now);
  await recordEvent(c.repositories, connectionId, 'consent_terminated', undefined, consentRowId);
}
