import type { DivinationDatabase, Trx } from './database.ts';
import { DivinationError } from './errors.ts';
import { randomId } from './ids.ts';

type Kind = DivinationDatabase['points_ledger']['kind'];

/**
 * Moves a user's points by `amount` (negative to charge) with its ledger entry, in the caller's
 * transaction: a charge the balance cannot cover answers 402 with what it needs and has.
 */
export async function movePoints(
  trx: Trx,
  move: { userId: string; amount: number; kind: Kind; runId?: string; now: string },
): Promise<number> {
  const { userId, amount, kind, now } = move;
  const updated = await trx
    .updateTable('users')
    .set((eb) => ({ balance: eb('balance', '+', amount) }))
    .where('id', '=', userId)
    .where('balance', '>=', -amount)
    .returning('balance')
    .executeTakeFirst();
  if (!updated) {
    const user = await trx
      .selectFrom('users')
      .select('balance')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    throw new DivinationError('POINTS_INSUFFICIENT_BALANCE', {
      required: -amount,
      balance: user.balance,
    });
  }
  await trx
    .insertInto('points_ledger')
    .values({
      id: randomId('pl_'),
      user_id: userId,
      kind,
      amount,
      run_id: move.runId ?? null,
      balance_after: updated.balance,
      created_at: now,
    })
    .execute();
  return updated.balance;
}
