import { ApplicationFailure } from '@temporalio/activity';
import { Xs2aError } from '../../xs2a/errors';
import {
  FUNDS_CONFIRMATION_REFUSED,
  type FundsConfirmationInput,
  type FundsConfirmationResult,
} from '../../workflows/funds-confirmation/contract';
import type { ActivityDeps } from '../deps';
import { toActivityFailure } from '../failures';

export function createFundsConfirmationActivities(deps: ActivityDeps) {
  return {
    /** POST /v1/funds-confirmations with the QWAC's PSP_IC role. */
    async confirmFunds(input: FundsConfirmationInput): Promise<FundsConfirmationResult> {
      const bank = deps.banks.get(input.aspspId);
      try {
        return { fundsAvailable: await bank.client.confirmFunds(input) };
      } catch (err) {
        if (
          err instanceof Xs2aError &&
          err.status !== undefined &&
          err.status >= 400 &&
          err.status < 500 &&
          err.status !== 429
        ) {
          const text = err.tppMessages.find((m) => m.text)?.text ?? err.message;
          throw ApplicationFailure.create({
            type: FUNDS_CONFIRMATION_REFUSED,
            message: text,
            nonRetryable: true,
            // The bank's code tells an account it does not know (RESOURCE_UNKNOWN) from other refusals.
            details: [{ field: err.field ?? 'account', ...(err.code ? { code: err.code } : {}) }],
          });
        }
        throw toActivityFailure(err);
      }
    },
  };
}
