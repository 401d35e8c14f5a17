/** Thrown when the speech recognition cannot answer now: down, too slow, or answering otherwise. */
export class AsrUnavailableError extends Error {
  override name = 'AsrUnavailableError';
}

export const isAsrUnavailableError = (error: unknown): error is AsrUnavailableError =>
  error instanceof AsrUnavailableError;

/** A recording to transcribe, as uploaded. */
export interface Recording {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
  /** What is spoken in it (`zh`, `en`): a hint for the recognition. */
  language?: string;
}

/** Speech to text. */
export interface Asr {
  /** What is said in the recording. */
  transcribe(recording: Recording): Promise<string>;
}

/**
 * An OpenAI-compatible speech recognition: `POST {baseUrl}/audio/transcriptions`, a multipart
 * form of `file`, `model` (and `language`), answering `{text}`. No answer within `timeoutMs`,
 * another status or another body is its failure.
 */
export function createAsr(options: {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}): Asr {
  const endpoint = new URL('audio/transcriptions', `${options.baseUrl.replace(/\/+$/, '')}/`);
  return {
    async transcribe(recording) {
      const form = new FormData();
      const file = new Blob([new Uint8Array(recording.bytes)], { type: recording.contentType });
      form.set('file', file, recording.filename || 'audio.wav');
      form.set('model', options.model);
      if (recording.language) {
        form.set('language', recording.language);
      }
      form.set('response_format', 'json');
      try {
        // The body is read within the same time: a service that stalls mid-answer is as down.
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
          body: form,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const answer = (await response.json().catch(() => undefined)) as { text?: unknown };
        if (!response.ok || typeof answer?.text !== 'string') {
          throw new Error(`answered ${response.status} without a transcription`);
        }
        return answer.text;
      } catch (error) {
        throw new AsrUnavailableError(`the speech recognition at ${options.baseUrl} failed`, {
          cause: error,
        });
      }
    },
  };
}

/**
 * How long a WAV recording plays, in milliseconds, from its `fmt ` and `data` chunks;
 * `undefined` when they cannot be read. A `data` size past the end (a stream's) counts what is there.
 */
export function wavDurationMs(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) =>
    Buffer.from(bytes.subarray(offset, offset + 4)).toString('latin1');
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    return undefined;
  }
  let byteRate: number | undefined;
  // Chunks: a tag, a little-endian size, the data, padded to an even length.
  for (let offset = 12; offset + 8 <= bytes.byteLength; ) {
    const size = view.getUint32(offset + 4, true);
    const start = offset + 8;
    if (tag(offset) === 'fmt ' && size >= 16 && start + 16 <= bytes.byteLength) {
      byteRate = view.getUint32(start + 8, true);
    } else if (tag(offset) === 'data') {
      const length = Math.min(size, bytes.byteLength - start);
      return byteRate ? (length / byteRate) * 1000 : undefined;
    }
    offset = start + size + (size % 2);
  }
  return undefined;
}
