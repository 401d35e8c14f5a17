/**
 * Tokens that passed verification, with their claims, until they expire: a token never changes,
 * so checking its signature once is enough. Bounded; the oldest half goes when it is full.
 */
export class VerifiedTokens<Claims> {
  #tokens = new Map<string, { claims: Claims; expiresAt: number }>();

  constructor(private readonly capacity = 10_000) {}

  /** The claims of a token verified before and not expired at `now`. */
  get(token: string, now: Date): Claims | undefined {
    const known = this.#tokens.get(token);
    if (known && known.expiresAt > now.getTime()) {
      return known.claims;
    }
    this.#tokens.delete(token);
    return undefined;
  }

  /** Remembers a verified token until `expiresAt` (milliseconds since the epoch). */
  set(token: string, claims: Claims, expiresAt: number): void {
    if (this.#tokens.size >= this.capacity) {
      for (const key of [...this.#tokens.keys()].slice(0, this.capacity / 2)) {
        this.#tokens.delete(key);
      }
    }
    this.#tokens.set(token, { claims, expiresAt });
  }
}
