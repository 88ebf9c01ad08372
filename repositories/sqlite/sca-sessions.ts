import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { authorisations } from '../../db/schema';
import { pendingSessionsOf } from '../plans/sql';
import type { ScaSessionRepository } from '../sca-sessions';

export function sqliteScaSessionRepository(db: Db): ScaSessionRepository {
  return {
    async get(id) {
      return db.select().from(authorisations).where(eq(authorisations.id, id)).get();
    },
    async findByStateHash(stateHash) {
      return db.select().from(authorisations).where(eq(authorisations.stateHash, stateHash)).get();
    },
    async insert(session) {
      db.insert(authorisations).values(session).run();
    },
    async update(id, values) {
      db.update(authorisations).set(values).where(eq(authorisations.id, id)).run();
    },
    async closeIfPending(id, values) {
      const where = and(eq(authorisations.id, id), eq(authorisations.outcome, 'pending'));
      return db.update(authorisations).set(values).where(where).run().changes > 0;
    },
    async closePendingOf(subjectType, subjectId, values) {
      db.update(authorisations)
        .set(values)
        .where(pendingSessionsOf(authorisations, subjectType, subjectId))
        .run();
    },
  };
}
