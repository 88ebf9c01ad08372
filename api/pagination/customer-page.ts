import { z } from 'zod';
import { createdCursorSchema } from './created-cursor';

/** The query of a customer-scoped list in created order: customerId narrows, cursor and limit page. */
export function customerPageQuery(noun: string) {
  return z.object({
    customerId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        `Only this customer's ${noun} (one the API key is issued for, else 403). Without it: the ${noun} of ` +
          'every customer the key is issued for; for a key without customers, of every customer',
      ),
    cursor: createdCursorSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).optional().describe(`${noun} per page (default 50)`),
  });
}
