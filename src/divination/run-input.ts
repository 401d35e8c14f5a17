import type { components } from '../../generated/divination/schema.d.ts';
import { DivinationError } from './errors.ts';
import type { DivinationPayload } from './reading-prompt.ts';
import { ownerOf } from './storage.ts';

export type RunInput = components['schemas']['RunInput'];

/** What storage makes of a URL it may have signed (implemented by src/divination/storage.ts). */
export interface UrlInspector {
  inspectUrl(url: string): {
    hostAllowed: boolean;
    /** The hosts it signs URLs for, when it says. */
    allowedHosts?: string[];
    bucket?: string;
    path?: string;
    signatureValid: boolean;
    expired: boolean;
  };
}

/** A run as its input asks for it, checked as far as it can be without the session. */
export interface RunRequest {
  threadId: string;
  runId: string;
  mode: RunInput['forwardedProps']['runtime_mode'];
  /** The new user message. */
  message: string;
  payload?: DivinationPayload;
  attachmentUrls: string[];
}

export const maxAttachments = 4;

/** The tarot spreads a cast may name, and how many cards each lays. */
export const tarotSpreads: Record<string, number> = {
  single_card: 1,
  three_cards: 3,
  celtic_cross: 10,
};

/**
 * Checks what the document's schema cannot (the validator checked the rest): the AG-UI shapes of
 * tools and context, the messages' contract, the divination payload, the attachments' signed
 * URLs (each must be one of the caller's attachments, signed and unexpired).
 */
export function checkRunInput(
  input: RunInput,
  caller: { userId: string; storage: UrlInspector },
): RunRequest {
  checkAgUiShapes(input);
  const message = newUserMessage(input.messages);
  const props = input.forwardedProps;
  const payload = props.divinationPayload;
  if (props.runtime_mode === 'reading' && !payload) {
    throw new DivinationError('AGENT_DIVINATION_PAYLOAD_REQUIRED');
  }
  if (payload && !isValidPayload(payload)) {
    throw new DivinationError('AGENT_PAYLOAD_INVALID');
  }
  const attachments = props.attachments ?? [];
  if (attachments.length > maxAttachments) {
    throw new DivinationError('AGENT_ATTACHMENTS_TOO_MANY', { max_attachments: maxAttachments });
  }
  for (const attachment of attachments) {
    checkAttachmentUrl(attachment.url, caller);
  }
  return {
    threadId: input.threadId,
    runId: input.runId,
    mode: props.runtime_mode,
    message,
    ...(payload && { payload: payload as DivinationPayload }),
    attachmentUrls: attachments.map((attachment) => attachment.url),
  };
}

/** AG-UI tools have a name, context items a description and a value. */
function checkAgUiShapes(input: RunInput) {
  const tools = input.tools ?? [];
  const context = input.context ?? [];
  const toolsFit = tools.every((tool) => typeof tool.name === 'string' && tool.name !== '');
  const contextFits = context.every(
    (item) => typeof item.description === 'string' && typeof item.value === 'string',
  );
  if (!toolsFit || !contextFits) {
    throw new DivinationError('AGENT_RUN_INPUT_INVALID');
  }
}

/**
 * The content of the message that ends the conversation, which must be the user's, not blank;
 * message ids are unique, and only (and every) `tool` message names the call it answers.
 */
function newUserMessage(messages: RunInput['messages']): string {
  const ids = new Set(messages.map((message) => message.id));
  const last = messages.at(-1);
  const fits =
    ids.size === messages.length &&
    messages.every((message) => (message.role === 'tool') === (message.toolCallId !== undefined)) &&
    last?.role === 'user' &&
    last.content.trim() !== '';
  if (!fits || !last) {
    throw new DivinationError('AGENT_RUN_MESSAGES_INVALID');
  }
  return last.content;
}

/**
 * A question that is not blank, and a cast of its method: six lines of 6–9 (I Ching); one to ten
 * cards named, and the spread, when named, a known one that holds them (tarot).
 */
export function isValidPayload(
  payload: NonNullable<RunInput['forwardedProps']['divinationPayload']>,
) {
  if (payload.question.trim() === '') {
    return false;
  }
  const { lines, cards, spread } = payload.cast;
  if (payload.method === 'iching') {
    return (
      Array.isArray(lines) &&
      lines.length === 6 &&
      lines.every((line) => Number.isInteger(line) && line >= 6 && line <= 9)
    );
  }
  const size = typeof spread === 'string' ? tarotSpreads[spread] : undefined;
  return (
    Array.isArray(cards) &&
    cards.length >= 1 &&
    cards.length <= 10 &&
    cards.every((card) => typeof card === 'string' && card.trim() !== '') &&
    (spread === undefined || (size !== undefined && cards.length <= size))
  );
}

/** An attachment URL: storage's host, the attachments bucket, the caller's own folder, signed. */
function checkAttachmentUrl(
  url: string,
  { userId, storage }: { userId: string; storage: UrlInspector },
) {
  const seen = storage.inspectUrl(url);
  if (!seen.hostAllowed) {
    throw new DivinationError('INVALID_BINARY_URL_HOST', {
      url,
      allowed_hosts: seen.allowedHosts ?? [],
    });
  }
  if (seen.bucket !== 'attachments') {
    throw new DivinationError('INVALID_BINARY_URL_BUCKET', { bucket: seen.bucket ?? '' });
  }
  const path = seen.path ?? '';
  if (ownerOf('attachments', path) !== userId) {
    throw new DivinationError('INVALID_BINARY_URL_PATH_SCOPE', { path });
  }
  if (!seen.signatureValid || seen.expired) {
    throw new DivinationError('AGENT_SIGNED_IMAGE_URL_INVALID');
  }
}
