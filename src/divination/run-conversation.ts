import type { components } from '../../generated/divination/schema.d.ts';
import type { DivinationDatabase } from './database.ts';
import { randomId } from './ids.ts';
import type { ChatMessage, ChatTool, Llm } from './llm.ts';
import type { DivinationPayload } from './reading-prompt.ts';
import { drawCard, drawTarotCard, type ToolCalls, toolArguments } from './tool-calls.ts';

export type RunEvent = components['schemas']['RunEvent'];

/** The codes a run ends with mid-stream (`RunErrorEvent`), besides the upstream ASR's. */
export type RunErrorCode = 'MISSING_RUNTIME_ARGS' | 'TOOL_REJECTED' | 'INTERNAL_ERROR';

/** Ends a run with its code: what went wrong is known and needs no log. */
export class RunFailure extends Error {
  override name = 'RunFailure';

  constructor(readonly code: RunErrorCode) {
    super(code);
  }
}

/** A message the run adds to its session, in order. */
export type TranscriptMessage = Pick<
  DivinationDatabase['agent_messages'],
  'id' | 'role' | 'content' | 'tool_call_id'
>;

/** What a conversation needs of its run. */
export interface Conversation {
  runId: string;
  userId: string;
  payload?: DivinationPayload;
  /** Tools the model may call on its first turn. */
  tools: ChatTool[];
  messages: ChatMessage[];
  signal: AbortSignal;
  /** Stores the event and tells its streams. */
  emit(event: RunEvent): Promise<void>;
  /** Waits for the user's decision on a call. */
  decision(toolCallId: string): Promise<'approved' | 'rejected'>;
}

interface Call {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Talks with the model until it answers in text: each turn's text and tool calls become events;
 * each tool call is recorded, waits for the user's decision and runs. The model gets tools on
 * its first turn only, so a run calls them once. Returns the messages for the session.
 */
export async function converse(
  run: Conversation,
  llm: Llm,
  toolCalls: ToolCalls,
): Promise<TranscriptMessage[]> {
  const transcript: TranscriptMessage[] = [];
  let tools = run.tools;
  for (;;) {
    const { text, calls } = await turn(run, llm, tools);
    transcript.push(...text);
    if (calls.length === 0) {
      if (text.length === 0) {
        throw new RunFailure('INTERNAL_ERROR'); // an answer without a word is no reading
      }
      return transcript;
    }
    if (tools.length === 0) {
      throw new RunFailure('INTERNAL_ERROR'); // a call of a tool it was not offered
    }
    run.messages.push({
      role: 'assistant',
      content: null,
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: call.arguments },
      })),
    });
    for (const call of calls) {
      const result = await useTool(run, call, toolCalls);
      run.messages.push({ role: 'tool', content: result, tool_call_id: call.id });
      transcript.push({
        id: randomId('msg_'),
        role: 'tool',
        content: result,
        tool_call_id: call.id,
      });
    }
    tools = [];
  }
}

/** One answer of the model, streamed as events: its text message and its calls (not yet ended). */
async function turn(run: Conversation, llm: Llm, tools: ChatTool[]) {
  let message: TranscriptMessage | undefined;
  const calls: Call[] = [];
  for await (const delta of llm.stream({ messages: run.messages, tools, signal: run.signal })) {
    if (delta.type === 'text') {
      if (!message) {
        message = { id: randomId('msg_'), role: 'assistant', content: '', tool_call_id: null };
        await run.emit({ type: 'TEXT_MESSAGE_START', messageId: message.id, role: 'assistant' });
      }
      message.content += delta.text;
      await run.emit({ type: 'TEXT_MESSAGE_CONTENT', messageId: message.id, delta: delta.text });
      continue;
    }
    let call = calls[delta.index];
    if (!call) {
      // Our own id: the model's may have any shape, and the API's ids are unique.
      call = { id: randomId('call_'), name: delta.name ?? '', arguments: '' };
      calls[delta.index] = call;
      await run.emit({ type: 'TOOL_CALL_START', toolCallId: call.id, toolCallName: call.name });
    }
    if (delta.arguments !== '') {
      call.arguments += delta.arguments;
      await run.emit({ type: 'TOOL_CALL_ARGS', toolCallId: call.id, delta: delta.arguments });
    }
  }
  if (message) {
    await run.emit({ type: 'TEXT_MESSAGE_END', messageId: message.id });
  }
  return { text: message ? [message] : [], calls: calls.filter(Boolean) };
}

/**
 * Ends a call's events and runs it once approved: its arguments must hold what the tool requires
 * (MISSING_RUNTIME_ARGS), the run must carry the reading it draws for; a rejection ends the run
 * (TOOL_REJECTED). Returns the tool's result, as JSON.
 */
async function useTool(run: Conversation, call: Call, toolCalls: ToolCalls): Promise<string> {
  const args = toolArguments(call.arguments);
  if (call.name !== drawTarotCard.function.name || !args || !run.payload) {
    await run.emit({ type: 'TOOL_CALL_END', toolCallId: call.id });
    // A tool it was not offered is the model's fault; arguments short of the tool's, the call's.
    throw new RunFailure(
      call.name === drawTarotCard.function.name ? 'MISSING_RUNTIME_ARGS' : 'INTERNAL_ERROR',
    );
  }
  await toolCalls.record({
    id: call.id,
    run_id: run.runId,
    user_id: run.userId,
    tool: call.name,
    arguments: JSON.stringify(args),
  });
  await run.emit({ type: 'TOOL_CALL_END', toolCallId: call.id });
  if ((await run.decision(call.id)) === 'rejected') {
    throw new RunFailure('TOOL_REJECTED');
  }
  const drawn = drawCard(args, run.payload);
  await toolCalls.executed(call.id);
  const cards = Array.isArray(run.payload.cast.cards) ? run.payload.cast.cards : [];
  await run.emit({
    type: 'STATE_SNAPSHOT',
    snapshot: {
      ...run.payload,
      cast: { ...run.payload.cast, cards: [...cards, drawn.card] },
      drawn,
    },
  });
  return JSON.stringify(drawn);
}
