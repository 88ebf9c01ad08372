import { and, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { authorisations } from '../../db/pg/schema';
import { pendingSessionsOf } from '../plans/sql';
import type { ScaSessionRepository } from '../sca-sessions';

export function pgScaSessionRepository(db: PgDb): ScaSessionRepository {
  const first = async (where: ReturnType<typeof eq>) => {
    const [row] = await db.select().from(authorisations).where(where).limit(1);
    return row;
  };
  return {
    get: (id) => first(eq(authorisations.id, id)),
    findByStateHash: (stateHash) => first(eq(authorisations.stateHash, stateHash)),
    async insert(session) {
      await db.insert(authorisations).values(session);
    },
    async update(id, values) {
      await db.update(authorisations).set(values).where(eq(authorisations.id, id));
    },
    async closeIfPending(id, values) {
      const closed = await db
        .update(authorisations)
        .set(values)
        .where(and(eq(authorisations.id, id), eq(authorisations.outcome, 'pending')))
        .returning({ id: authorisations.id });
      return closed.length > 0;
    },
    async closePendingOf(subjectType, subjectId, values) {
      await db
        .update(authorisations)
        .set(values)
        .where(pendingSessionsOf(authorisations, subjectType, subjectId));
    },
  };
}
