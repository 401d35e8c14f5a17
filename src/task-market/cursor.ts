import { type SelectQueryBuilder, sql } from 'kysely';
import { TaskMarketError } from './errors.ts';

/** An opaque page cursor: the sort key of the last item of a page. */
function encodeCursor(key: [string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === 2 && key.every((part) => typeof part === 'string')) {
      return key as [string, string];
    }
  } catch {
    // Not base64url JSON: refused below like any other malformed cursor.
  }
  throw new TaskMarketError('INVALID_FORMAT', {
    field: 'cursor',
    reason: 'not a cursor this API returned',
  });
}

/**
 * One page of a list, newest first (`created_at`, then `id`), after the row `cursor` names; and
 * the cursor of the next page, `null` on the last. Rows added meanwhile never shift a page.
 * `query` selects from one table, whose `created_at` and `id` the cursor compares unqualified.
 * Without a `limit`, a page has the document's default size (the validator fills it in).
 */
export async function newestFirstPage<DB, Table extends keyof DB, Row extends PageKey>(
  query: SelectQueryBuilder<DB, Table, Row>,
  cursor: string | undefined,
  limit = 20,
): Promise<{ items: Row[]; nextCursor: string | null }> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rest = after
    ? query.where(sql<boolean>`(created_at, id) < (${after[0]}, ${after[1]})`)
    : query;
  const rows = await rest
    .orderBy(sql`created_at desc, id desc`)
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
  };
}

interface PageKey {
  created_at: string;
  id: string;
}
