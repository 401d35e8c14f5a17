import { createHash, randomBytes } from 'node:crypto';

/**
 * A 19-digit id, as the API's `taskId`, `workflowId` and `webappId` are (`^[0-9]{15,20}$`):
 * random, so that ids say nothing of each other or of how many there are.
 */
export function numericId(): string {
  const random = randomBytes(8).readBigUInt64BE() % 9_000_000_000_000_000_000n;
  return String(1_000_000_000_000_000_000n + random);
}

/** A new API key: 32 hex characters, as the platform's. */
export const newApiKey = () => randomBytes(16).toString('hex');

/** How a key is stored: its SHA-256, so a leaked database leaks no key. */
export const keyHash = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');
