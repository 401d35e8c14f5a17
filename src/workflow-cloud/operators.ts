import type { ComfyPrompt } from '../comfyui/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Plan } from './database.ts';
import { keyHash, newApiKey, numericId } from './ids.ts';

/** An account as an operator opens it; what a plan does not use stays 0. */
export interface NewAccount {
  name: string;
  plan: Plan;
  /** The wallet of every plan but enterprise. */
  coins?: number;
  /** An enterprise's funds, in cents of `currency` (CNY by default). */
  moneyCents?: number;
  currency?: string;
  /** Tasks the shared API runs at once (5 by default; 0 for an exclusive plan, which has none). */
  concurrency?: number;
  /** An exclusive membership: its machines, and its end. */
  instances?: number;
  exclusiveUntil?: string;
}

/** An enterprise key lasts a year unless the operator says otherwise. */
const enterpriseKeyDays = 365;

/**
 * What an operator does outside the API (npm run workflow-cloud:account): open and close
 * accounts, issue and revoke their keys, top up wallets, renew exclusive memberships, and put
 * workflows and AI apps on the platform.
 */
export function createOperators(db: Db, clock: Clock) {
  const now = () => clock.now().toISOString();

  /** The account, closed or not; an unknown id throws. */
  async function accountOf(accountId: string) {
    const account = await db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!account) {
      throw new Error(`no account ${accountId}`);
    }
    return account;
  }

  return {
    accountOf,

    /** Opens an account; returns its id. With `ifAbsent`, one of that name is kept and undefined returned. */
    async addAccount(account: NewAccount, { id = numericId(), ifAbsent = false } = {}) {
      const inserted = await db
        .insertInto('accounts')
        .values({
          id,
          name: account.name,
          plan: account.plan,
          coins: account.coins ?? 0,
          money_cents: account.moneyCents ?? 0,
          currency: account.plan === 'enterprise' ? (account.currency ?? 'CNY') : null,
          concurrency: account.concurrency ?? (account.plan === 'exclusive' ? 0 : 5),
          instances: account.instances ?? 0,
          exclusive_until: account.exclusiveUntil ?? null,
          closed_at: null,
          created_at: now(),
        })
        .$if(ifAbsent, (insert) => insert.onConflict((conflict) => conflict.doNothing()))
        .executeTakeFirst();
      return inserted.numInsertedOrUpdatedRows === 0n ? undefined : id;
    },

    /** A closed account's keys answer 806; its tasks' files stay until their retention ends. */
    async closeAccount(accountId: string) {
      await db
        .updateTable('accounts')
        .set({ closed_at: now() })
        .where('id', '=', accountId)
        .execute();
    },

    /**
     * Issues a key, shown only now (its hash is kept). An enterprise's key expires (811 after),
     * a year from now unless `expiresAt` says when.
     */
    async issueKey(
      accountId: string,
      { key = newApiKey(), expiresAt }: { key?: string; expiresAt?: string } = {},
    ) {
      const account = await accountOf(accountId);
      const yearOn = new Date(clock.now().getTime() + enterpriseKeyDays * 86_400_000);
      await db
        .insertInto('api_keys')
        .values({
          key_hash: keyHash(key),
          account_id: accountId,
          expires_at:
            account.plan === 'enterprise'
              ? (expiresAt ?? yearOn.toISOString())
              : (expiresAt ?? null),
          revoked_at: null,
          created_at: now(),
        })
        .execute();
      return key;
    },

    /** A revoked key answers 802, like one never issued. */
    async revokeKey(key: string) {
      const revoked = await db
        .updateTable('api_keys')
        .set({ revoked_at: now() })
        .where('key_hash', '=', keyHash(key))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return revoked.numUpdatedRows > 0n;
    },

    /** Adds to the wallet: coins, or an enterprise's cents. */
    async topUp(accountId: string, amount: number) {
      const wallet = (await accountOf(accountId)).plan === 'enterprise' ? 'money_cents' : 'coins';
      await db
        .updateTable('accounts')
        .set((eb) => ({ [wallet]: eb(wallet, '+', amount) }))
        .where('id', '=', accountId)
        .execute();
    },

    /** Sets an account's exclusive machines and the end of its membership (436 after it). */
    async setExclusive(accountId: string, instances: number, until: string) {
      await db
        .updateTable('accounts')
        .set({ instances, exclusive_until: until })
        .where('id', '=', accountId)
        .execute();
    },

    /**
     * Saves a workflow for an account. The API runs it only once it has been run on the
     * platform (`ran`, or `markRun` later); a `public` one others can open, and must save first.
     */
    async addWorkflow(
      accountId: string,
      workflow: {
        name: string;
        prompt: ComfyPrompt;
        cost: number;
        public?: boolean;
        ran?: boolean;
      },
      { id = numericId() } = {},
    ) {
      await db
        .insertInto('workflows')
        .values({
          id,
          account_id: accountId,
          name: workflow.name,
          prompt: JSON.stringify(workflow.prompt),
          public: workflow.public ? 1 : 0,
          cost: workflow.cost,
          ran_at: workflow.ran ? now() : null,
          created_at: now(),
        })
        .execute();
      return id;
    },

    /** Records that a workflow was run on the platform, which lets the API run it. */
    async markRun(workflowId: string) {
      await db
        .updateTable('workflows')
        .set({ ran_at: now() })
        .where('id', '=', workflowId)
        .where('ran_at', 'is', null)
        .execute();
    },

    /** Puts an AI app on the platform, for every account to run. */
    async addWebapp(
      webapp: { name: string; prompt: ComfyPrompt; cost: number },
      { id = numericId() } = {},
    ) {
      await db
        .insertInto('webapps')
        .values({
          id,
          name: webapp.name,
          prompt: JSON.stringify(webapp.prompt),
          cost: webapp.cost,
          created_at: now(),
        })
        .execute();
      return id;
    },
  };
}

export type Operators = ReturnType<typeof createOperators>;
