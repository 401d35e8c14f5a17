import type { Details, DetailValue } from '../src/catalog/types.d.ts';

/**
 * A code's documented details, shaped as the code documents them but about this request: each
 * key `facts` has takes its value from there (`method`, `header`, `reason`…), a list of objects
 * becomes one such item, and any other key is left out, since only another request's example
 * could fill it.
 */
export function shapedDetails(documented: Details, facts: Record<string, DetailValue>): Details {
  const shaped: Details = {};
  for (const [key, value] of Object.entries(documented)) {
    if (Array.isArray(value)) {
      const [first] = value as readonly DetailValue[];
      const item = isDetails(first) ? shapedDetails(first, facts) : {};
      if (Object.keys(item).length > 0) {
        shaped[key] = [item];
      }
    } else if (isDetails(value)) {
      const inner = shapedDetails(value, facts);
      if (Object.keys(inner).length > 0) {
        shaped[key] = inner;
      }
    } else if (Object.hasOwn(facts, key)) {
      shaped[key] = facts[key] as DetailValue;
    }
  }
  return shaped;
}

function isDetails(value: DetailValue | undefined): value is Details {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
