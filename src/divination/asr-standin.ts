import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wavDurationMs } from './asr.ts';

/** How the stand-in behaves: as a speech recognition should, or as one that is down or stalls. */
export type AsrMode = 'ok' | 'failing' | 'slow';

export interface AsrStandIn {
  url: string;
  setMode(mode: AsrMode): void;
  close(): Promise<void>;
}

/** The stand-in's transcription: what it can tell of a recording, its length. */
export const standInTranscript = (durationMs: number) =>
  `(${(durationMs / 1000).toFixed(1)} s of audio)`;

/** An OpenAI-style error answer. */
const failure = (status: number, message: string) => ({
  status,
  body: { error: { message, type: 'invalid_request_error' } },
});

/** Answers a transcription request of the OpenAI API: a WAV `file` and a `model`. */
async function transcribe(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
  if (request.method !== 'POST' || request.url?.split('?')[0] !== '/audio/transcriptions') {
    return failure(404, 'Not found');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    chunks.push(chunk);
  }
  let form: FormData;
  try {
    const headers = { 'content-type': request.headers['content-type'] ?? '' };
    form = await new Request('http://asr/', {
      method: 'POST',
      headers,
      body: Buffer.concat(chunks),
    }).formData();
  } catch {
    return failure(400, 'Expected a multipart/form-data body');
  }
  const file = form.get('file');
  if (!(file instanceof Blob) || typeof form.get('model') !== 'string') {
    return failure(400, 'Both file and model are required');
  }
  const durationMs = wavDurationMs(new Uint8Array(await file.arrayBuffer()));
  if (durationMs === undefined) {
    return failure(400, 'Invalid file format: not a readable WAV recording');
  }
  return { status: 200, body: { text: standInTranscript(durationMs) } };
}

/**
 * A local OpenAI-compatible `/audio/transcriptions` for `npm start` and tests, transcribing a
 * WAV recording into its length ("(3.2 s of audio)"). Production sets ASR_BASE_URL.
 */
export async function startAsrStandIn(): Promise<AsrStandIn> {
  let mode: AsrMode = 'ok';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (mode === 'slow') {
      return; // never answers: the caller's timeout decides
    }
    if (mode === 'failing') {
      request.resume();
      response.writeHead(503).end();
      return;
    }
    void transcribe(request)
      .catch(() => failure(500, 'The recording could not be read'))
      .then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next) {
      mode = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
