import { TaskMarketError } from './errors.ts';

/** An opaque page cursor: the sort key of the last item of a page. */
export function encodeCursor(key: [string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
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
