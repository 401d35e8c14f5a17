import type { DivinationDatabase } from './database.ts';
import type { ChatMessage } from './llm.ts';

/** Precedes the reading's JSON in the system message; the LLM stand-in finds the reading by it. */
export const readingMarker = 'Reading: ';

/** What the user cast, as `forwardedProps.divinationPayload` gives it. */
export interface DivinationPayload {
  method: 'iching' | 'tarot';
  question: string;
  cast: Record<string, unknown>;
}

type StoredMessage = Pick<
  DivinationDatabase['agent_messages'],
  'role' | 'content' | 'tool_call_id'
>;

const instructions: Record<DivinationPayload['method'], string> = {
  iching:
    'You interpret I Ching readings. The lines are given bottom first: 6 old yin, 7 young yang, 8 young yin, 9 old yang.',
  tarot:
    'You interpret tarot readings. Before you answer a reading, draw one more card for it with draw_tarot_card.',
};

/**
 * The conversation the LLM gets for a run: what it is and the reading (when the run carries one),
 * the session's earlier messages, then the new user message and its attachments.
 */
export function readingPrompt(run: {
  method: DivinationPayload['method'];
  payload?: DivinationPayload;
  history: StoredMessage[];
  message: string;
  attachmentUrls: string[];
}): ChatMessage[] {
  const system = run.payload
    ? `${instructions[run.method]}\n${readingMarker}${JSON.stringify(run.payload)}`
    : instructions[run.method];
  const history = run.history.map(
    (message): ChatMessage =>
      message.role === 'tool' || message.role === 'system'
        ? // A tool's answer of an earlier run, without the call it answered: a note.
          { role: 'system', content: `Tool result: ${message.content}` }
        : { role: message.role, content: message.content },
  );
  const attachments =
    run.attachmentUrls.length === 0 ? '' : `\n\nAttached images:\n${run.attachmentUrls.join('\n')}`;
  return [
    { role: 'system', content: system },
    ...history,
    { role: 'user', content: `${run.message}${attachments}` },
  ];
}
