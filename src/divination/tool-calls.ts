import { createHash } from 'node:crypto';
import type { ErrorDetails } from '../../generated/divination/errors.ts';
import { entryOfCode, errorBody } from '../catalog/envelopes.js';
import type { Clock } from '../platform/clock.ts';
import type { Db, DivinationDatabase, Trx } from './database.ts';
import { catalog, DivinationError, type ErrorName } from './errors.ts';
import type { ChatTool } from './llm.ts';
import type { DivinationPayload } from './reading-prompt.ts';
import { tarotSpreads } from './run-input.ts';
import type { RunFeed } from './run-stream.ts';

type ToolCallRow = DivinationDatabase['tool_calls'];

/** The one tool: the agent draws a card for a tarot reading, once the user approves. */
export const drawTarotCard: ChatTool = {
  type: 'function',
  function: {
    name: 'draw_tarot_card',
    description: 'Draws one more tarot card for the reading, once the user approves.',
    parameters: {
      type: 'object',
      properties: { spread: { type: 'string', enum: Object.keys(tarotSpreads) } },
      required: ['spread'],
      additionalProperties: false,
    },
  },
};

const majorArcana = [
  'The Fool',
  'The Magician',
  'The High Priestess',
  'The Empress',
  'The Emperor',
  'The Hierophant',
  'The Lovers',
  'The Chariot',
  'Strength',
  'The Hermit',
  'Wheel of Fortune',
  'Justice',
  'The Hanged Man',
  'Death',
  'Temperance',
  'The Devil',
  'The Tower',
  'The Star',
  'The Moon',
  'The Sun',
  'Judgement',
  'The World',
];

/** The call's arguments when they hold what the tool requires (a known spread), else undefined. */
export function toolArguments(json: string): { spread: string } | undefined {
  let args: unknown;
  try {
    args = JSON.parse(json);
  } catch {
    return undefined;
  }
  const spread = (args as { spread?: unknown } | null)?.spread;
  return typeof spread === 'string' && spread in tarotSpreads ? { spread } : undefined;
}

/**
 * Draws the card: the same reading always draws the same one, never a card it already holds;
 * its orientation from the same draw.
 */
export function drawCard(args: { spread: string }, reading: DivinationPayload) {
  const held = new Set(
    (Array.isArray(reading.cast.cards) ? reading.cast.cards : []).map((card) =>
      String(card).toLowerCase(),
    ),
  );
  const deck = majorArcana.filter((card) => !held.has(card.toLowerCase()));
  const seed = createHash('sha256')
    .update(JSON.stringify([reading.question, args.spread, [...held]]))
    .digest();
  const card = deck[seed.readUInt32BE(0) % deck.length] ?? 'The Fool';
  return {
    spread: args.spread,
    card,
    orientation: (seed[4] ?? 0) % 2 === 0 ? 'upright' : 'reversed',
  };
}

/** The `ToolCall` the API answers, once decided. */
export function toolCallView(call: ToolCallRow) {
  return {
    toolCallId: call.id,
    tool: call.tool,
    status: call.status as 'approved' | 'rejected' | 'executed',
    arguments: JSON.parse(call.arguments) as Record<string, unknown>,
    decided_at: call.decided_at,
  };
}

/** The body of a code the catalog answers as a status, not a problem (`surface: body`). */
function bodyCode<Name extends ErrorName>(name: Name, details: ErrorDetails[Name]) {
  const entry = entryOfCode(catalog, name);
  if (!entry) {
    throw new Error(`${name} is not in the catalog`);
  }
  return errorBody(catalog, entry, { details: details as Record<string, unknown> });
}

/** The 202 `ToolCallPending` of an undecided call. */
export function pendingBody(call: ToolCallRow) {
  return bodyCode('TOOL_PENDING_APPROVAL', {
    tool_call_id: call.id,
    tool: call.tool,
    requested_at: call.requested_at,
  }) as {
    code: 'TOOL_PENDING_APPROVAL';
    message: string;
    tool_call_id: string;
    tool: string;
    requested_at: string;
  };
}

export const rejected = (call: ToolCallRow) =>
  new DivinationError('TOOL_REJECTED', { tool_call_id: call.id, tool: call.tool });

/** Tool calls on the database: recorded pending, decided once, waited for by their run. */
export function createToolCalls({ db, clock, feed }: { db: Db; clock: Clock; feed: RunFeed }) {
  const now = () => clock.now().toISOString();

  /**
   * The caller's call. The operations have no not-found code: an unknown id, or another user's,
   * is a request that cannot be valid.
   */
  async function owned(id: string, userId: string) {
    const call = await db
      .selectFrom('tool_calls')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!call || call.user_id !== userId) {
      throw new DivinationError('REQUEST_VALIDATION_ERROR', {
        errors: [
          {
            loc: ['path', 'toolCallId'],
            msg: 'You have no tool call with this id',
            type: 'value_error',
          },
        ],
      });
    }
    return call;
  }

  /** Moves a call from the status it should have: the call moved, none if it had another. */
  function settle(
    id: string,
    status: ToolCallRow['status'],
    from: ToolCallRow['status'] = 'pending',
  ) {
    return db
      .updateTable('tool_calls')
      .set({ status, ...(from === 'pending' && { decided_at: now() }) })
      .where('id', '=', id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirst();
  }

  return {
    owned,

    record(call: Pick<ToolCallRow, 'id' | 'run_id' | 'user_id' | 'tool' | 'arguments'>) {
      return db
        .insertInto('tool_calls')
        .values({ ...call, status: 'pending', requested_at: now(), decided_at: null })
        .execute();
    },

    /**
     * The user's decision on a pending call. A call is decided once: one rejected already answers
     * 403, one approved answers as it is.
     */
    async decide(id: string, userId: string, approve: boolean) {
      const call = await owned(id, userId);
      const decided =
        call.status === 'pending' ? await settle(id, approve ? 'approved' : 'rejected') : undefined;
      if (decided) {
        feed.notify(call.run_id);
        return decided;
      }
      const current = await owned(id, userId);
      if (current.status === 'rejected') {
        throw rejected(current);
      }
      return current;
    },

    executed: (id: string) => settle(id, 'executed', 'approved'),

    /**
     * Waits for the user's decision on a call for `timeoutMs`; undecided by then, it is rejected.
     * A call gone (its session deleted) counts as rejected.
     */
    async decision(
      call: { id: string; runId: string },
      wait: { timeoutMs: number; pollMs: number; signal: AbortSignal },
    ): Promise<'approved' | 'rejected'> {
      const deadline = Date.now() + wait.timeoutMs;
      for (;;) {
        wait.signal.throwIfAborted();
        const version = feed.version(call.runId);
        const row = await db
          .selectFrom('tool_calls')
          .select('status')
          .where('id', '=', call.id)
          .executeTakeFirst();
        if (!row || row.status === 'rejected') {
          return 'rejected';
        }
        if (row.status !== 'pending') {
          return 'approved';
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          await settle(call.id, 'rejected');
          continue; // rejected now, or decided just before
        }
        await feed.wait(call.runId, version, Math.min(left, wait.pollMs), wait.signal);
      }
    },

    /** Rejects the calls a run leaves undecided as it ends, in its closing transaction. */
    rejectUndecided: (trx: Trx, runId: string) =>
      trx
        .updateTable('tool_calls')
        .set({ status: 'rejected', decided_at: now() })
        .where('run_id', '=', runId)
        .where('status', '=', 'pending')
        .execute(),
  };
}

export type ToolCalls = ReturnType<typeof createToolCalls>;
