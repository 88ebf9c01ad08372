/**
 * The namespace's custom search attributes: which of ours exist, and creating the missing ones
 * through the operator API (one call per attribute, then verified by listing them again: the
 * CLI 1.5.1 `temporal operator search-attribute create` with several --name and one --type
 * created only the first and exited 0).
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const TYPE_OF: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Every search attribute the service writes, with its Temporal type. */
export function requiredSearchAttributes(): { name: string; type: temporal.api.enums.v1.IndexedValueType }[] {
  return SEARCH_ATTRIBUTE_KEYS.map((key) => ({ name: key.name, type: TYPE_OF[key.type] }));
}

type OperatorConnection = Pick<Connection, 'operatorService'>;

/** The namespace's custom search attributes: name → type. */
export async function listCustomSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<Map<string, temporal.api.enums.v1.IndexedValueType>> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return new Map(Object.entries(customAttributes ?? {}));
}

export interface SearchAttributeProblem {
  name: string;
  problem: 'missing' | 'wrong type';
}

/** Our search attributes that are missing in the namespace (or have another type). */
export async function searchAttributeProblems(
  connection: OperatorConnection,
  namespace: string,
): Promise<SearchAttributeProblem[]> {
  const existing = await listCustomSearchAttributes(connection, namespace);
  const problems: SearchAttributeProblem[] = [];
  for (const { name, type } of requiredSearchAttributes()) {
    const found = existing.get(name);
    if (found === undefined) problems.push({ name, problem: 'missing' });
    else if (found !== type) problems.push({ name, problem: 'wrong type' });
  }
  return problems;
}

export class SearchAttributesError extends Error {
  constructor(
    readonly namespace: string,
    readonly problems: SearchAttributeProblem[],
  ) {
    super(
      `Temporal namespace "${namespace}" lacks search attributes the service writes: ` +
        `${problems.map((p) => `${p.name} (${p.problem})`).join(', ')}; run \`npm run -s ops -- temporal-setup\``,
    );
    this.name = 'SearchAttributesError';
  }
}

/** Start-up check of the worker and the API: refuse to start rather than fail the first connection. */
export async function assertSearchAttributes(connection: OperatorConnection, namespace: string): Promise<void> {
  const problems = await searchAttributeProblems(connection, namespace);
  if (problems.length) throw new SearchAttributesError(namespace, problems);
}

/**
 * Creates every missing search attribute, one at a time, then lists them again and throws
 * unless all exist with the right type. Idempotent: returns the names it created.
 */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const existing = await listCustomSearchAttributes(connection, namespace);
  const created: string[] = [];
  for (const { name, type } of requiredSearchAttributes()) {
    if (existing.has(name)) continue;
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: type } });
    } catch (err) {
      // Another operator (or a second run) created it in between: the check below decides.
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
    created.push(name);
  }
  await assertSearchAttributes(connection, namespace);
  return created;
}
