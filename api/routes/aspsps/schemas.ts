import { z } from 'zod';

export const aspspSchema = z
  .object({
    id: z.string().describe('Use as aspspId when creating a connection'),
    name: z.string(),
    country: z.string(),
    services: z.array(z.enum(['ais', 'pis', 'piis'])),
    environment: z.enum(['sandbox', 'production']),
  })
  .meta({ id: 'Aspsp' });

export const aspspListSchema = z.array(aspspSchema);
