import { PaymentInputError, PaymentUpstreamError } from '../../../services/payments';
import { ApiProblem } from '../../problem';

/** Runs a payment service call, answering its refusals as problem+json naming the field. */
export async function paymentCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PaymentInputError) {
      throw new ApiProblem(err.status, err.message, { errors: [{ field: err.field, message: err.message }] });
    }
    if (err instanceof PaymentUpstreamError) throw new ApiProblem(502, err.message);
    throw err;
  }
}
