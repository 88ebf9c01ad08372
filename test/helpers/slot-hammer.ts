/**
 * Many callers asking one limiter for the same bank as fast as it grants, for a while: the grant
 * times (this machine's clock, when acquire resolved) and the slots the store handed out.
 */
import type { BankRequestSlotRepository } from '../../repositories/bank-request-slots';
import { fleetRequestLimiter } from '../../banks/fleet-limiter';

export interface HammerResult {
  /** Epoch ms (Date.now()) at which each acquire resolved. */
  grants: number[];
  /** Epoch µs of each admitted slot, on the store's clock. */
  slots: number[];
  refused: number;
}

export async function hammer(
  store: BankRequestSlotRepository,
  opts: { bankId: string; perSecond: number; callers: number; startAt: number; durationMs: number },
): Promise<HammerResult> {
  const result: HammerResult = { grants: [], slots: [], refused: 0 };
  const recording: BankRequestSlotRepository = {
    async reserve(request) {
      const reservation = await store.reserve(request);
      if (reservation.admitted) result.slots.push(reservation.slotUs);
      else result.refused++;
      return reservation;
    },
  };
  const limiter = fleetRequestLimiter(recording, {
    id: opts.bankId,
    rateLimit: { perSecond: opts.perSecond, perDay: 1_000_000 },
  })!;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opts.startAt - Date.now())));
  const end = opts.startAt + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.callers }, async () => {
      while (Date.now() < end) {
        await limiter.acquire();
        result.grants.push(Date.now());
      }
    }),
  );
  return result;
}
