import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAsr, isAsrUnavailableError, wavDurationMs } from '../../src/divination/asr.ts';
import { type AsrStandIn, startAsrStandIn } from '../../src/divination/asr-standin.ts';
import { png, wav } from './media.ts';

describe('the length of a WAV recording', () => {
  const truncated = wav(1000).subarray(0, 44 + 800);
  it.each([
    ['3.2 s at 8 kHz', wav(3200), 3200],
    ['0.5 s at 44.1 kHz', wav(500, { sampleRate: 44_100 }), 500],
    ['a chunk of odd size before the data', wav(1000, { extraChunk: true }), 1000],
    ['no samples', wav(0), 0],
    ['a data chunk cut short', truncated, 50],
    ['no data chunk', wav(1000).subarray(0, 36), undefined],
    ['the data before the format', swapChunks(wav(1000)), undefined],
    ['a PNG', png(), undefined],
    ['nothing', new Uint8Array(), undefined],
  ])('%s', (_case, bytes, durationMs) => {
    expect(wavDurationMs(bytes)).toBe(durationMs);
  });
});

/** The recording with its `data` chunk first. */
function swapChunks(bytes: Uint8Array): Uint8Array {
  const buffer = Buffer.from(bytes);
  const format = buffer.subarray(12, 36);
  return Buffer.concat([buffer.subarray(0, 12), buffer.subarray(36), format]);
}

describe('the ASR client', () => {
  let standIn: AsrStandIn;
  afterEach(() => standIn?.close());

  const recording = {
    bytes: wav(3200),
    filename: 'q.wav',
    contentType: 'audio/wav',
    language: 'zh',
  };
  const client = (baseUrl: string, timeoutMs = 500) =>
    createAsr({ baseUrl, model: 'whisper-1', timeoutMs });

  it('transcribes through the stand-in', async () => {
    standIn = await startAsrStandIn();
    expect(await client(standIn.url).transcribe(recording)).toBe('(3.2 s of audio)');
  });

  it.each(['failing', 'slow'] as const)(
    'fails as unavailable when the service is %s',
    async (mode) => {
      standIn = await startAsrStandIn();
      standIn.setMode(mode);
      const error = await client(standIn.url, 200)
        .transcribe(recording)
        .catch((caught) => caught);
      expect(isAsrUnavailableError(error)).toBe(true);
    },
  );

  it('fails as unavailable when the service cannot read the file, or is gone', async () => {
    standIn = await startAsrStandIn();
    const unreadable = client(standIn.url).transcribe({ ...recording, bytes: png() });
    expect(isAsrUnavailableError(await unreadable.catch((caught) => caught))).toBe(true);
    await standIn.close();
    const gone = client(standIn.url).transcribe(recording);
    expect(isAsrUnavailableError(await gone.catch((caught) => caught))).toBe(true);
  });

  it('sends the OpenAI form, with the key, to the base URL’s path', async () => {
    const seen: { url?: string; authorization?: string; form?: FormData } = {};
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) {
        chunks.push(chunk as Buffer);
      }
      seen.url = request.url;
      seen.authorization = request.headers.authorization;
      seen.form = await new Request('http://x/', {
        method: 'POST',
        headers: { 'content-type': request.headers['content-type'] ?? '' },
        body: Buffer.concat(chunks),
      }).formData();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ text: '今年换工作是否合适？' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
    try {
      const asr = createAsr({ baseUrl, apiKey: 'sk-test', model: 'whisper-1', timeoutMs: 500 });
      expect(await asr.transcribe(recording)).toBe('今年换工作是否合适？');
    } finally {
      server.close();
    }
    expect(seen).toMatchObject({
      url: '/v1/audio/transcriptions',
      authorization: 'Bearer sk-test',
    });
    expect(seen.form?.get('model')).toBe('whisper-1');
    expect(seen.form?.get('language')).toBe('zh');
    const file = seen.form?.get('file') as File;
    expect({ name: file.name, type: file.type, size: file.size }).toEqual({
      name: 'q.wav',
      type: 'audio/wav',
      size: recording.bytes.byteLength,
    });
  });
});
