import { describe, expect, it } from 'vitest';
import { checkRunInput, type RunInput, type UrlInspector } from '../../src/divination/run-input.ts';
import { isApiError } from '../../src/platform/api-error.ts';

const userId = 'u_AAAAAAAAAAAAAAAA';
const own = `https://storage.test/attachments/users/${userId}/attachments/card.png?sig=ok`;

/** A storage that reads what it is asked about from the URL itself. */
const storage: UrlInspector = {
  inspectUrl(text) {
    const url = new URL(text);
    const [, bucket, ...rest] = url.pathname.split('/');
    return {
      hostAllowed: url.host === 'storage.test',
      allowedHosts: ['storage.test'],
      bucket,
      path: rest.join('/'),
      signatureValid: url.searchParams.get('sig') !== 'bad',
      expired: url.searchParams.get('sig') === 'old',
    };
  },
};

function input(change: (input: RunInput) => unknown = () => {}): RunInput {
  const base: RunInput = {
    threadId: 'thr_AAAAAAAAAAAAAAAA',
    runId: 'run_AAAAAAAAAAAA',
    messages: [{ id: 'm_1', role: 'user', content: 'Should I move?' }],
    tools: [],
    context: [],
    state: {},
    forwardedProps: {
      runtime_mode: 'reading',
      divinationPayload: {
        method: 'iching',
        question: 'Should I move?',
        cast: { lines: [7, 8, 9, 7, 6, 8] },
      },
      attachments: [{ url: own, content_type: 'image/png' }],
    },
  };
  change(base);
  return base;
}

const payload = (input: RunInput) =>
  input.forwardedProps.divinationPayload as NonNullable<
    RunInput['forwardedProps']['divinationPayload']
  >;
const tarot = (cast: Record<string, unknown>) => (input: RunInput) => {
  Object.assign(payload(input), { method: 'tarot', cast });
};
const attach =
  (...urls: string[]) =>
  (input: RunInput) => {
    input.forwardedProps.attachments = urls.map((url) => ({ url, content_type: 'image/png' }));
  };

const refusals: [string, (input: RunInput) => unknown, string, object?][] = [
  [
    'a tool without a name',
    (i) => Object.assign(i, { tools: [{ description: 'x' }] }),
    'AGENT_RUN_INPUT_INVALID',
  ],
  [
    'context without a value',
    (i) => Object.assign(i, { context: [{ description: 'x' }] }),
    'AGENT_RUN_INPUT_INVALID',
  ],
  [
    'two messages with one id',
    (i) => i.messages.unshift({ id: 'm_1', role: 'assistant', content: 'hi' }),
    'AGENT_RUN_MESSAGES_INVALID',
  ],
  [
    'no user message last',
    (i) => i.messages.push({ id: 'm_2', role: 'assistant', content: 'hi' }),
    'AGENT_RUN_MESSAGES_INVALID',
  ],
  [
    'a blank user message',
    (i) => Object.assign(i.messages[0] ?? {}, { content: '  ' }),
    'AGENT_RUN_MESSAGES_INVALID',
  ],
  [
    'a tool message without its call',
    (i) => i.messages.unshift({ id: 'm_0', role: 'tool', content: '{}' }),
    'AGENT_RUN_MESSAGES_INVALID',
  ],
  [
    'a user message naming a call',
    (i) => Object.assign(i.messages[0] ?? {}, { toolCallId: 'call_1' }),
    'AGENT_RUN_MESSAGES_INVALID',
  ],
  [
    'a reading without its payload',
    (i) => delete i.forwardedProps.divinationPayload,
    'AGENT_DIVINATION_PAYLOAD_REQUIRED',
  ],
  [
    'a blank question',
    (i) => Object.assign(payload(i), { question: ' ' }),
    'AGENT_PAYLOAD_INVALID',
  ],
  [
    'five lines',
    (i) => Object.assign(payload(i), { cast: { lines: [7, 8, 9, 7, 6] } }),
    'AGENT_PAYLOAD_INVALID',
  ],
  [
    'a line of 5',
    (i) => Object.assign(payload(i), { cast: { lines: [7, 8, 9, 7, 6, 5] } }),
    'AGENT_PAYLOAD_INVALID',
  ],
  ['tarot without cards', tarot({ spread: 'three_cards' }), 'AGENT_PAYLOAD_INVALID'],
  [
    'tarot of an unknown spread',
    tarot({ spread: 'pentagram', cards: ['The Sun'] }),
    'AGENT_PAYLOAD_INVALID',
  ],
  [
    'more cards than the spread',
    tarot({ spread: 'single_card', cards: ['The Sun', 'The Moon'] }),
    'AGENT_PAYLOAD_INVALID',
  ],
  [
    'five attachments',
    attach(own, own, own, own, own),
    'AGENT_ATTACHMENTS_TOO_MANY',
    { max_attachments: 4 },
  ],
  [
    'another host',
    attach('https://cdn.test/attachments/x.png'),
    'INVALID_BINARY_URL_HOST',
    { url: 'https://cdn.test/attachments/x.png', allowed_hosts: ['storage.test'] },
  ],
  [
    'another bucket',
    attach(own.replace('/attachments/users', '/avatars/users')),
    'INVALID_BINARY_URL_BUCKET',
    { bucket: 'avatars' },
  ],
  [
    'another user',
    attach(own.replaceAll(userId, 'u_BBBBBBBBBBBBBBBB')),
    'INVALID_BINARY_URL_PATH_SCOPE',
    { path: 'users/u_BBBBBBBBBBBBBBBB/attachments/card.png' },
  ],
  [
    'the user avatar folder',
    attach(own.replace('/attachments/card', '/avatar/card')),
    'INVALID_BINARY_URL_PATH_SCOPE',
  ],
  [
    'a forged signature',
    attach(own.replace('sig=ok', 'sig=bad')),
    'AGENT_SIGNED_IMAGE_URL_INVALID',
  ],
  [
    'an expired signature',
    attach(own.replace('sig=ok', 'sig=old')),
    'AGENT_SIGNED_IMAGE_URL_INVALID',
  ],
];

describe('checkRunInput', () => {
  it('takes a reading: its message, payload and attachments', () => {
    expect(checkRunInput(input(), { userId, storage })).toEqual({
      threadId: 'thr_AAAAAAAAAAAAAAAA',
      runId: 'run_AAAAAAAAAAAA',
      mode: 'reading',
      message: 'Should I move?',
      payload: {
        method: 'iching',
        question: 'Should I move?',
        cast: { lines: [7, 8, 9, 7, 6, 8] },
      },
      attachmentUrls: [own],
    });
  });

  it.each([
    [
      'a follow-up without a payload',
      (i: RunInput) => {
        i.forwardedProps = { runtime_mode: 'follow_up' };
      },
    ],
    ['a tarot cast of a known spread', tarot({ spread: 'three_cards', cards: ['The Sun'] })],
    ['a tarot cast without a spread', tarot({ cards: ['The Sun'] })],
    [
      'an AG-UI history with a tool answer',
      (i: RunInput) => {
        i.messages.unshift({ id: 'm_0', role: 'tool', content: '{}', toolCallId: 'call_1' });
      },
    ],
    ['four attachments', attach(own, own, own, own)],
  ])('takes %s', (_name, change) => {
    expect(() => checkRunInput(input(change), { userId, storage })).not.toThrow();
  });

  it.each(refusals)('refuses %s', (_name, change, code, details) => {
    let thrown: unknown;
    try {
      checkRunInput(input(change), { userId, storage });
    } catch (error) {
      thrown = error;
    }
    expect(isApiError(thrown) && thrown.code).toBe(code);
    if (details) {
      expect(isApiError(thrown) && thrown.details).toEqual(details);
    }
  });
});
