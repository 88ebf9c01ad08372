import { asc, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { authorisations, consentStatusHistory, consents } from '../../db/pg/schema';
import type { ConsentRepository } from '../consents';
import { consentStatusWrites } from '../plans/status';

export function pgConsentRepository(db: PgDb): ConsentRepository {
  return {
    async get(id) {
      const [row] = await db.select().from(consents).where(eq(consents.id, id)).limit(1);
      return row;
    },
    async listByConnection(connectionId) {
      return db.select().from(consents).where(eq(consents.connectionId, connectionId));
    },
    async insertWithSession(consent, session) {
      await db.transaction(async (tx) => {
        await tx.insert(consents).values(consent);
        await tx.insert(authorisations).values(session);
      });
    },
    async setStatus(id, status, at) {
      await db.transaction(async (tx) => {
        // Locked: of two processes writing the same change, one writes it and its history row.
        const [current] = await tx.select().from(consents).where(eq(consents.id, id)).for('update');
        const writes = current && consentStatusWrites(current, status, at);
        if (!writes) return;
        await tx.update(consents).set(writes.set).where(eq(consents.id, id));
        await tx.insert(consentStatusHistory).values(writes.history);
      });
    },
    async statusHistory(id) {
      return db
        .select({ status: consentStatusHistory.status, at: consentStatusHistory.at })
        .from(consentStatusHistory)
        .where(eq(consentStatusHistory.consentId, id))
        .orderBy(asc(consentStatusHistory.id));
    },
  };
}
