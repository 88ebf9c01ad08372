import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { authorisations, consentStatusHistory, consents } from '../../db/schema';
import type { ConsentRepository } from '../consents';
import { consentStatusWrites } from '../plans/status';
import { prepareOnce } from './prepared';

export function sqliteConsentRepository(db: Db): ConsentRepository {
  const byId = prepareOnce(() =>
    db
      .select()
      .from(consents)
      .where(eq(consents.id, sql.placeholder('id')))
      .prepare(),
  );
  return {
    async get(id) {
      return byId().get({ id });
    },
    async listByConnection(connectionId) {
      return db.select().from(consents).where(eq(consents.connectionId, connectionId)).all();
    },
    async insertWithSession(consent, session) {
      db.transaction((tx) => {
        tx.insert(consents).values(consent).run();
        tx.insert(authorisations).values(session).run();
      });
    },
    async setStatus(id, status, at) {
      db.transaction((tx) => {
        const current = tx.select().from(consents).where(eq(consents.id, id)).get();
        const writes = current && consentStatusWrites(current, status, at);
        if (!writes) return;
        tx.update(consents).set(writes.set).where(eq(consents.id, id)).run();
        tx.insert(consentStatusHistory).values(writes.history).run();
      });
    },
    async statusHistory(id) {
      return db
        .select({ status: consentStatusHistory.status, at: consentStatusHistory.at })
        .from(consentStatusHistory)
        .where(eq(consentStatusHistory.consentId, id))
        .orderBy(asc(consentStatusHistory.id))
        .all();
    },
  };
}
