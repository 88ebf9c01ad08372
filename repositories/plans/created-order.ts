import { and, eq, inArray, isNull, lt, or, type Column } from 'drizzle-orm';

/** A row's place in (createdAt desc, id desc) order: where a page of a list ends. */
export interface CreatedPosition {
  createdAt: number;
  id: string;
}

/** Rows after `position` in (createdAt desc, id desc) order, on either backend's columns. */
export function afterPosition(t: { createdAt: Column; id: Column }, position: CreatedPosition) {
  return or(lt(t.createdAt, position.createdAt), and(eq(t.createdAt, position.createdAt), lt(t.id, position.id)))!;
}

/** One page from `limit + 1` rows: the extra row only says there is a next page. */
export function pageOf<T extends CreatedPosition>(rows: T[], limit: number): { items: T[]; next?: CreatedPosition } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, ...(rows.length > limit && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}) };
}

/** Connections not deleted, of these customers (null: any customer's), after a page's last position. */
export function listedConnections(
  t: { deletedAt: Column; customerId: Column; createdAt: Column; id: Column },
  customerIds: readonly string[] | null,
  after?: CreatedPosition,
) {
  return and(
    isNull(t.deletedAt),
    customerIds === null ? undefined : inArray(t.customerId, [...customerIds]),
    after ? afterPosition(t, after) : undefined,
  );
}
