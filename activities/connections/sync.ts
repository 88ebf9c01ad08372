import { performance } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { sendablePsuIp } from '../../banks/psu-ip';
import type { ConnectionRow, Repositories } from '../../repositories';
import { recordSync } from '../../metrics/registry';
import { Xs2aError } from '../../xs2a/errors';
import type { AisContext } from '../../xs2a/operations/types';
import type { FetchedTransactions } from '../../repositories/plans/transactions';
import type { SyncSummary } from '../../workflows/connection/contract';
import type { ActivityDeps } from '../deps';
import { bankActivity, xs2aFailure } from '../failures';
import { connectionDeps, psuTokens, withClientToken, type ConnectionDeps, type PsuTokens } from './context';
import { nextUtcMidnight } from '../../xs2a/limits/utc-day';
import { accessesLeft, countAccess, currentConsent, isoDate, recordEvent, setConsentStatus } from './repository';

const DAY_MS = 86_400_000;
const HEARTBEAT_EVERY_MS = 1_000;

interface Checkpoint {
  /** resourceIds whose transactions are stored: a retried attempt skips them. */
  done: string[];
}

export interface SyncConnectionInput {
  connectionId: string;
  reason: string;
  /** Only runs of the previous release send the address itself (it was in history). */
  psuIpAddress?: string;
  /** The PSU is present: its address is read from the SCA session (authorisationId) or the connection row. */
  psuPresent?: boolean;
  /** The SCA session the PSU just returned through (the first sync). */
  authorisationId?: string;
  /**
   * The workflow's next sync: written to the read model with lastSyncAt when this sync succeeds,
   * so the workflow has nothing else to record (runs without the sync-records patch send none).
   */
  nextSyncAt?: number;
}

async function psuAddressOf(
  repositories: Repositories,
  connection: ConnectionRow,
  input: SyncConnectionInput,
): Promise<string | undefined> {
  if (input.psuIpAddress !== undefined) return input.psuIpAddress;
  if (!input.psuPresent) return undefined;
  if (input.authorisationId) {
    const session = await repositories.scaSessions.get(input.authorisationId);
    return session?.psuIpAddress ?? undefined;
  }
  return connection.psuIpAddress ?? undefined;
}

export function createSyncActivities(deps: ActivityDeps) {
  return {
    /**
     * Every read for one consent in one activity: accounts (with balances), then per
     * account the transactions since the last booked date minus an overlap window,
     * following the bank's pages. Heartbeats after each page; a retried attempt
     * resumes after the accounts it finished. Unattended reads are counted durably
     * per consent, endpoint and day, and never exceed frequencyPerDay.
     */
    async syncConnection(input: SyncConnectionInput): Promise<SyncSummary> {
      return bankActivity(async () => {
        const c = connectionDeps(deps);
        const ctx = Context.current();
        const info = ctx.info;
        const { connection, consent } = await currentConsent(c.repositories, input.connectionId);
        const bank = c.banks.get(connection.aspspId);
        const startedAt = c.now();
        // The PSU's address: in the input of runs of the previous release, otherwise in the SCA
        // session row (first sync) or the connection row (sync now). An address the bank cannot
        // take (IPv6 where it wants IPv4) proves no presence to the bank: the read is unattended.
        const psuIpAddress = sendablePsuIp(bank.profile, await psuAddressOf(c.repositories, connection, input));
        const psuPresent = psuIpAddress !== undefined;
        // Same id on every attempt of this activity: the run row is upserted, not duplicated.
        const syncRunId = `${info.workflowExecution?.runId ?? 'standalone'}:${info.activityId}`;
        await c.repositories.connections.startSyncRun({
          id: syncRunId,
          connectionId: connection.id,
          consentId: consent.id,
          reason: input.reason,
          psuPresent,
          startedAt,
        });

        if (!psuPresent) {
          const known = (await c.repositories.accounts.rows(connection.id)).filter((a) => a.status === 'active');
          // Card-account lists carry no balances, so each card costs a balances read too.
          const perAccount =
            bank.profile.paths.accountKind === 'card-accounts' ? ['transactions', 'balances'] : ['transactions'];
          const endpoints = ['accounts', ...known.flatMap((a) => perAccount.map((e) => `${e}:${a.resourceId}`))];
          const left = await accessesLeft(c.repositories, consent.id, endpoints, consent.frequencyPerDay, startedAt);
          if ([...left.values()].some((n) => n === 0)) {
            const nextAllowedAt = nextUtcMidnight(startedAt) + 60_000;
            recordSync(bank.profile.id, 'deferred');
            await finishRun(c, syncRunId, 'deferred', {
              accounts: 0,
              transactionsUpserted: 0,
              transactionsRemoved: 0,
              bankCalls: 0,
            });
            return {
              syncRunId,
              outcome: 'deferred',
              accounts: 0,
              transactionsUpserted: 0,
              transactionsRemoved: 0,
              bankCalls: 0,
              nextAllowedAt,
              finishedAt: c.now(),
            };
          }
        }

        const counted = async (endpoint: string) => {
          if (psuPresent) return;
          if (!(await countAccess(c.repositories, consent.id, endpoint, consent.frequencyPerDay, c.now()))) {
            throw new Xs2aError(`frequencyPerDay (${consent.frequencyPerDay}) used up today for ${endpoint}`, {
              kind: 'access_exceeded',
              aspsp: bank.profile.id,
            });
          }
        };

        const checkpoint: Checkpoint = (info.heartbeatDetails as Checkpoint | undefined) ?? { done: [] };
        let bankCalls = 0;
        let upserted = 0;
        let inserted = 0; // webhooks: connection.sync_completed's "added"
        let removed = 0;
        let tokens: PsuTokens | undefined;
        // Waits for the bank's request slots (shared by the fleet) can outlast the heartbeat timeout:
        // keep beating with the last progress while the attempt lives, so Temporal retries only an
        // attempt whose worker is gone, never one that is queued (a second attempt would queue too).
        // Progress is handed to Temporal at most once a second, the first time a second after the
        // start (the SDK throttles what it sends anyway; each hand-over is encoded, encrypted and
        // crosses into the core): most syncs end before they beat at all. A retried attempt may
        // redo a page or an account, which the upserts make harmless.
        let progress: unknown = checkpoint;
        let sentAt = performance.now();
        const send = () => {
          sentAt = performance.now();
          ctx.heartbeat(progress);
        };
        const beat = (details: unknown) => {
          progress = details;
          if (performance.now() - sentAt >= HEARTBEAT_EVERY_MS) send();
        };
        const keepAlive = setInterval(send, Math.max(200, Math.min(10_000, (info.heartbeatTimeoutMs ?? 60_000) / 3)));

        const run = async (forceRefresh: boolean) => {
          // Refreshed here, right before the reads, when expired or nearly so: the workflow does not
          // keep access tokens fresh on a timer.
          tokens = await psuTokens(c, bank, connection.id, consent.id, forceRefresh);
          const ais: AisContext = {
            consentId: consent.bankConsentId,
            accessToken: tokens.accessToken,
            psuIpAddress,
            frequencyPerDay: consent.frequencyPerDay,
            // A timed-out or cancelled attempt stops its bank calls instead of racing its retry.
            signal: ctx.cancellationSignal,
          };
          await counted('accounts');
          bankCalls++;
          const listed = await bank.client.listAccounts({ ...ais, withBalance: true });
          const rows = await c.repositories.accounts.upsertAccounts(connection.id, listed, c.now());

          for (const account of listed) {
            if (checkpoint.done.includes(account.resourceId)) continue;
            const row = rows.get(account.resourceId)!;
            let balances = account.balances ?? [];
            if (!balances.length) {
              await counted(`balances:${account.resourceId}`);
              bankCalls++;
              balances = await bank.client.getBalances(account.resourceId, ais);
            }

            const from = row.lastBookedDate
              ? isoDate(Date.parse(row.lastBookedDate) - c.syncOverlapMs)
              : isoDate(c.now() - bank.profile.consent.transactionHistoryDays * DAY_MS);
            const fetched: FetchedTransactions = { booked: [], pending: [] };
            try {
              await counted(`transactions:${account.resourceId}`);
              for await (const page of bank.client.listTransactions(
                account.resourceId,
                { bookingStatus: 'both', dateFrom: from },
                ais,
              )) {
                bankCalls++;
                for (const t of page.transactions) fetched[t.bookingStatus].push(t);
                beat({ done: checkpoint.done, account: account.resourceId, page: page.pageNumber });
              }
            } catch (err) {
              // The balances were read (for cards, counted too): keep them though the transactions
              // failed. The read's own error is the one to report.
              await c.repositories.accounts.storeBalances(row.id, balances, c.now()).catch(() => undefined);
              throw err;
            }
            // Balances and transactions of the account in one transaction (one lock on PostgreSQL).
            const result = await c.repositories.accounts.storeAccountReads(
              row.id,
              { balances, transactions: fetched },
              c.now(),
            );
            upserted += result.upserted;
            inserted += result.inserted;
            removed += result.removed;
            checkpoint.done.push(account.resourceId);
            beat(checkpoint);
          }
          return listed.length;
        };

        let accountCount: number;
        try {
          try {
            accountCount = await run(false);
          } catch (err) {
            // The bank may revoke a token early: one refresh, then the same reads again.
            if (!(err instanceof Xs2aError && err.kind === 'token_invalid' && bank.sca.canRefreshOnTokenInvalid))
              throw err;
            accountCount = await run(true);
          }
        } catch (err) {
          // The failure carries the latest progress to the retry (the SDK sends the last heartbeat
          // it was given with the failure; the throttle above may have held the latest back).
          ctx.heartbeat(progress);
          await finishRun(
            c,
            syncRunId,
            'error',
            { accounts: 0, transactionsUpserted: upserted, transactionsRemoved: removed, bankCalls },
            err,
          );
          recordSync(bank.profile.id, err instanceof Xs2aError ? err.kind : 'error');
          if (err instanceof Xs2aError && err.kind === 'consent_invalid')
            await explainInvalidConsent(c, bank, connection.id, consent.id, consent.bankConsentId, err);
          throw err;
        } finally {
          clearInterval(keepAlive);
        }

        const finishedAt = c.now();
        recordSync(bank.profile.id, 'ok');
        await finishRun(c, syncRunId, 'ok', {
          accounts: accountCount,
          transactionsUpserted: upserted,
          transactionsRemoved: removed,
          bankCalls,
        });
        // Webhooks (issue 11): connection.sync_completed commits with lastSyncAt, once per sync run.
        await c.repositories.connections.recordSyncCompleted({
          connectionId: connection.id,
          syncRunId,
          accounts: accountCount,
          transactions: { added: inserted, updated: upserted - inserted, removed },
          at: finishedAt,
          ...(input.nextSyncAt !== undefined ? { nextSyncAt: input.nextSyncAt } : {}),
        });
        return {
          syncRunId,
          outcome: 'ok',
          accounts: accountCount,
          transactionsUpserted: upserted,
          transactionsRemoved: removed,
          bankCalls,
          finishedAt,
          ...tokenExpiry(tokens),
        };
      });
    },
  };
}

/** When the PSU's tokens lapse, for the workflow's token upkeep (instants only, nothing secret). */
function tokenExpiry(tokens: PsuTokens | undefined): Pick<SyncSummary, 'tokenExpiresAt' | 'refreshTokenExpiresAt'> {
  return {
    ...(tokens?.expiresAt !== undefined ? { tokenExpiresAt: tokens.expiresAt } : {}),
    ...(tokens?.refreshExpiresAt !== undefined ? { refreshTokenExpiresAt: tokens.refreshExpiresAt } : {}),
  };
}

function finishRun(
  c: ConnectionDeps,
  id: string,
  outcome: string,
  counts: { accounts: number; transactionsUpserted: number; transactionsRemoved: number; bankCalls: number },
  err?: unknown,
): Promise<void> {
  return c.repositories.connections.finishSyncRun(id, {
    endedAt: c.now(),
    outcome,
    ...counts,
    error: err instanceof Error ? err.message : err === undefined ? null : String(err),
  });
}

/**
 * CONSENT_INVALID can mean the PSU revoked it at the bank: ask the bank for the
 * consent's status and fail with the precise reason.
 */
async function explainInvalidConsent(
  c: ConnectionDeps,
  bank: ReturnType<ConnectionDeps['banks']['get']>,
  connectionId: string,
  consentRowId: string,
  bankConsentId: string,
  original: Xs2aError,
): Promise<never> {
  let status: string | undefined;
  try {
    status = await withClientToken(bank, c.now(), (accessToken) =>
      bank.client.getConsentStatus(bankConsentId, { accessToken }),
    );
  } catch {
    throw original;
  }
  await setConsentStatus(c.repositories, consentRowId, status, c.now());
  await recordEvent(c.repositories, connectionId, 'consent_status_observed', { status }, consentRowId);
  if (status === 'revokedByPsu' || status === 'terminatedByTpp')
    throw xs2aFailure('consent_revoked', `consent is ${status} at the bank`);
  if (status === 'expired') throw xs2aFailure('consent_expired', 'consent has expired at the bank');
  throw original;
}
