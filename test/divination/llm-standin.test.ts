import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatMessage, createLlm, type Llm, type LlmDelta } from '../../src/divination/llm.ts';
import { type LlmStandIn, startLlmStandIn } from '../../src/divination/llm-standin.ts';
import { readingPrompt } from '../../src/divination/reading-prompt.ts';
import { drawTarotCard } from '../../src/divination/tool-calls.ts';

let standIn: LlmStandIn;
let llm: Llm;
beforeAll(async () => {
  standIn = await startLlmStandIn({ chunkDelayMs: 1 });
  llm = createLlm({ baseUrl: standIn.url, model: 'stand-in', timeoutMs: 1000 });
});
afterAll(() => standIn.close());

async function answer(messages: ChatMessage[], tools = false) {
  const deltas: LlmDelta[] = [];
  for await (const delta of llm.stream({ messages, ...(tools && { tools: [drawTarotCard] }) })) {
    deltas.push(delta);
  }
  const text = deltas.map((delta) => (delta.type === 'text' ? delta.text : '')).join('');
  const args = deltas.map((delta) => (delta.type === 'toolCall' ? delta.arguments : '')).join('');
  return { deltas, text, args };
}

const iching = readingPrompt({
  method: 'iching',
  payload: { method: 'iching', question: 'Move?', cast: { lines: [7, 8, 9, 7, 6, 8] } },
  history: [],
  message: 'Move?',
  attachmentUrls: [],
});

const tarot = (cast: Record<string, unknown>) =>
  readingPrompt({
    method: 'tarot',
    payload: { method: 'tarot', question: 'Love?', cast },
    history: [],
    message: 'Love?',
    attachmentUrls: [],
  });

describe('the LLM stand-in', () => {
  it('reads the cast, the same every time, in several chunks', async () => {
    const first = await answer(iching);
    expect(first.text).toContain('You asked: "Move?"');
    expect(first.text).toContain('Your hexagram sets Thunder above Fire, changing lines 3, 5.');
    expect(first.deltas.length).toBeGreaterThan(3);
    expect((await answer(iching)).text).toBe(first.text);
  });

  it('answers a follow-up as one', async () => {
    const followUp = readingPrompt({
      method: 'iching',
      history: [
        { role: 'user', content: 'Move?', tool_call_id: null },
        { role: 'assistant', content: 'Yes.', tool_call_id: null },
      ],
      message: 'When?',
      attachmentUrls: [],
    });
    expect((await answer(followUp)).text).toContain('On your follow-up "When?"');
  });

  it('calls the tool it is offered first, with the cast’s spread', async () => {
    const called = await answer(tarot({ spread: 'three_cards', cards: ['The Sun'] }), true);
    expect(called.text).toBe('');
    expect(called.deltas[0]).toMatchObject({ type: 'toolCall', name: 'draw_tarot_card' });
    expect(JSON.parse(called.args)).toEqual({ spread: 'three_cards' });
    expect(JSON.parse((await answer(tarot({ cards: ['The Sun'] }), true)).args)).toEqual({});
  });

  it('reads the card the tool drew once it answered', async () => {
    const messages: ChatMessage[] = [
      ...tarot({ spread: 'three_cards', cards: ['The Sun'] }),
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'draw_tarot_card', arguments: '{}' },
          },
        ],
      },
      { role: 'tool', content: '{"card":"The Star"}', tool_call_id: 'call_1' },
    ];
    const read = await answer(messages, true);
    expect(read.args).toBe('');
    expect(read.text).toContain('The Star');
  });
});
