import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/platform/failures.ts';
import {
  receivedFiles,
  type UploadFacts,
  type UploadRule,
  uploadParser,
} from '../../src/platform/uploads.ts';

type Code = 'FILE_TOO_LARGE' | 'FILE_TYPE_INVALID' | 'FILE_TOO_MANY' | 'FILE_EMPTY';

/** What the refusal callback builds: a catalog code with its facts, as a service's error would. */
class Refused extends Error {
  constructor(
    readonly code: Code,
    readonly facts: UploadFacts,
  ) {
    super(code);
  }
}

const accepted = ['image/png', 'image/jpeg'];
const rule: UploadRule<Code> = {
  files: { file: {}, extras: { maxCount: 2 } },
  maxFileBytes: 1024,
  maxFiles: 2,
  maxFields: 4,
  maxFieldBytes: 100,
  types: accepted,
  tooLarge: 'FILE_TOO_LARGE',
  wrongType: 'FILE_TYPE_INVALID',
  tooMany: 'FILE_TOO_MANY',
  empty: 'FILE_EMPTY',
};

/** One multipart operation, validated by express-openapi-validator as the platform does. */
const document = {
  openapi: '3.1.0',
  info: { title: 'Uploads', version: '1.0.0' },
  servers: [{ url: '/api' }],
  paths: {
    '/items/{itemId}/file': {
      post: {
        operationId: 'uploadItemFile',
        parameters: [
          {
            name: 'itemId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^it_[a-z0-9]+$' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file', 'title'],
                additionalProperties: false,
                properties: {
                  file: { type: 'string', contentMediaType: 'image/png' },
                  extras: {
                    type: 'array',
                    maxItems: 2,
                    items: { type: 'string', format: 'binary' },
                  },
                  title: { type: 'string', minLength: 1, maxLength: 10 },
                  copies: { type: 'integer', minimum: 1, maximum: 3 },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Stored.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
  },
};

let server: Server;
let origin = '';

/** The upload route behind uploadParser and the validator, configured as validator.ts does. */
beforeAll(async () => {
  const app = express();
  app.post(
    '/api/items/:itemId/file',
    uploadParser(rule, (code, facts) => new Refused(code, facts)),
    ...OpenApiValidator.middleware({
      apiSpec: document as never,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: false,
      validateSecurity: false,
      validateFormats: true,
      fileUploader: false,
    }),
    (request: Request, response: Response) => {
      response.json({
        body: request.body,
        received: receivedFiles(request).map(({ field, filename, contentType, bytes }) => ({
          field,
          filename,
          contentType,
          base64: bytes.toString('base64'),
        })),
      });
    },
  );
  // A rule that names no code: the platform's own answers stand in.
  const { tooLarge: _code, ...withoutCodes } = rule;
  app.post(
    '/plain/items/:itemId/file',
    uploadParser(withoutCodes, () => new Error('unused')),
  );
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof PlatformError) {
      response.status(413).json({ failure: error.failure });
      return;
    }
    if (error instanceof Refused) {
      response.status(422).json({ code: error.code, facts: error.facts });
      return;
    }
    const { status = 500, errors } = error as { status?: number; errors?: unknown };
    response.status(status).json({ status, errors, message: (error as Error).message });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('IHDR and the rest of a small image'),
]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF')]);

interface Part {
  name: string;
  /** A file part when given. */
  filename?: string;
  /** The part's Content-Type; none when null. */
  type?: string | null;
  content: string | Buffer;
}

const boundary = '----uploads-test-boundary';

function multipart(parts: Part[], { end = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${
      part.filename === undefined ? '' : `; filename="${part.filename}"`
    }`;
    const type =
      part.type === null
        ? ''
        : `Content-Type: ${part.type ?? (part.filename === undefined ? 'text/plain' : 'image/png')}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  if (end) {
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
  }
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the test's answers have several shapes
  body: any;
}

async function upload(
  body: Buffer,
  contentType = `multipart/form-data; boundary=${boundary}`,
  path = '/api/items/it_1/file',
): Promise<Answer> {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(body),
  });
  return { status: response.status, body: await response.json() };
}

const title: Part = { name: 'title', content: 'Cover' };
const file = (content: Buffer | string, extra: Partial<Part> = {}): Part => ({
  name: 'file',
  filename: 'cover.png',
  content,
  ...extra,
});

/** A validation error as the validator writes it: its status and the first issue. */
function issue(answer: Answer) {
  const [first] = answer.body.errors ?? [];
  return { status: answer.status, path: first?.path, errorCode: first?.errorCode };
}

describe('uploadParser with a rule that names no code for a file too large', () => {
  it('refuses it as any body over its limit (the catalog’s bodyTooLarge)', async () => {
    const answer = await upload(
      multipart([file(Buffer.alloc(2048, 1))]),
      undefined,
      '/plain/items/it_1/file',
    );
    expect(answer).toEqual({
      status: 413,
      body: { failure: { role: 'bodyTooLarge', reason: 'file is larger than 1024 bytes' } },
    });
  });
});

describe('uploadParser before express-openapi-validator (fileUploader: false)', () => {
  it('accepts a valid upload: the files in request.files, the fields in request.body', async () => {
    const answer = await upload(
      multipart([
        title,
        file(png),
        { name: 'extras', filename: 'a.jpg', type: 'image/jpeg', content: jpeg },
      ]),
    );
    expect(answer.status).toBe(200);
    // The validator saw a placeholder per file field (an array where the rule allows several).
    expect(answer.body.body).toEqual({ title: 'Cover', file: '', extras: [''] });
    expect(answer.body.received).toEqual([
      {
        field: 'file',
        filename: 'cover.png',
        contentType: 'image/png',
        base64: png.toString('base64'),
      },
      {
        field: 'extras',
        filename: 'a.jpg',
        contentType: 'image/jpeg',
        base64: jpeg.toString('base64'),
      },
    ]);
  });

  it.each<[string, () => Buffer, { code: Code; facts: UploadFacts }]>([
    [
      'a file over maxFileBytes',
      () => multipart([title, file(Buffer.concat([png, Buffer.alloc(2000)]))]),
      { code: 'FILE_TOO_LARGE', facts: { field: 'file', maxBytes: 1024 } },
    ],
    [
      'a declared type the rule does not accept',
      () => multipart([title, file('hello', { filename: 'cover.txt', type: 'text/plain' })]),
      {
        code: 'FILE_TYPE_INVALID',
        facts: { field: 'file', contentType: 'text/plain', accepted },
      },
    ],
    [
      'a text file named .png and declared image/png (sniffed)',
      () => multipart([title, file('just some text, not an image')]),
      {
        code: 'FILE_TYPE_INVALID',
        facts: { field: 'file', contentType: 'image/png', accepted, size: 28 },
      },
    ],
    [
      'a JPEG declared image/png (sniffed)',
      () => multipart([title, file(jpeg)]),
      {
        code: 'FILE_TYPE_INVALID',
        facts: { field: 'file', contentType: 'image/png', accepted, size: jpeg.length },
      },
    ],
    [
      'a file part without a Content-Type (text/plain, as multipart says)',
      () => multipart([title, file(png, { type: null })]),
      {
        code: 'FILE_TYPE_INVALID',
        facts: { field: 'file', contentType: 'text/plain', accepted },
      },
    ],
    [
      'two files in a field that takes one',
      () => multipart([title, file(png), file(png)]),
      { code: 'FILE_TOO_MANY', facts: { field: 'file', maxFiles: 1 } },
    ],
    [
      'more files in all than maxFiles',
      () =>
        multipart([
          title,
          file(png),
          { name: 'extras', filename: 'a.jpg', type: 'image/jpeg', content: jpeg },
          { name: 'extras', filename: 'b.jpg', type: 'image/jpeg', content: jpeg },
        ]),
      { code: 'FILE_TOO_MANY', facts: { field: '', maxFiles: 2 } },
    ],
    [
      'an empty file',
      () => multipart([title, file('')]),
      { code: 'FILE_EMPTY', facts: { field: 'file', size: 0 } },
    ],
  ])('refuses %s with its catalog code', async (_case, body, expected) => {
    const answer = await upload(body());
    expect(answer).toEqual({ status: 422, body: expected });
  });

  it.each<[string, () => Buffer, { status: number; path: string; errorCode: string }]>([
    [
      'a missing required file (the validator, from the placeholder it does not find)',
      () => multipart([title]),
      { status: 400, path: '/body/file', errorCode: 'required.openapi.validation' },
    ],
    [
      'a file with a filename="" (no file at all, as browsers send an empty input)',
      () => multipart([title, file('', { filename: '', type: 'application/octet-stream' })]),
      { status: 400, path: '/body/file', errorCode: 'required.openapi.validation' },
    ],
    [
      'a text field over its maxLength (the validator)',
      () => multipart([{ name: 'title', content: 'a title far too long' }, file(png)]),
      { status: 400, path: '/body/title', errorCode: 'maxLength.openapi.validation' },
    ],
    [
      'a text field of the wrong type (the validator)',
      () => multipart([title, { name: 'copies', content: 'many' }, file(png)]),
      { status: 400, path: '/body/copies', errorCode: 'type.openapi.validation' },
    ],
    [
      // Form fields are strings; without coerceTypes a number field can only be a string with a
      // pattern. (coerceTypes would coerce JSON bodies as well: "2" would pass as an integer.)
      'a number in an integer form field, without coerceTypes (the validator)',
      () => multipart([title, { name: 'copies', content: '2' }, file(png)]),
      { status: 400, path: '/body/copies', errorCode: 'type.openapi.validation' },
    ],
    [
      'a text field the form does not have (the validator)',
      () => multipart([title, { name: 'colour', content: 'red' }, file(png)]),
      { status: 400, path: '/body/colour', errorCode: 'additionalProperties.openapi.validation' },
    ],
    [
      'a missing required text field (the validator)',
      () => multipart([file(png)]),
      { status: 400, path: '/body/title', errorCode: 'required.openapi.validation' },
    ],
    [
      'a file field sent as text',
      () => multipart([title, { name: 'file', content: 'not a file' }]),
      { status: 400, path: '/body/file', errorCode: 'type.openapi.validation' },
    ],
    [
      'a file in a field the rule does not name',
      () => multipart([title, file(png), file(png, { name: 'avatar' })]),
      { status: 400, path: '/body/avatar', errorCode: 'additionalProperties.openapi.validation' },
    ],
    [
      'more parts than maxFields allows (LIMIT_PART_COUNT)',
      () =>
        multipart([
          title,
          ...Array.from({ length: 8 }, (_, index) => ({ name: `f${index}`, content: 'x' })),
          file(png),
        ]),
      { status: 400, path: '/body', errorCode: 'maxProperties.openapi.validation' },
    ],
    [
      'a text field over maxFieldBytes',
      () => multipart([{ name: 'title', content: 'x'.repeat(200) }, file(png)]),
      { status: 400, path: '/body/title', errorCode: 'maxLength.openapi.validation' },
    ],
    [
      'a body cut short',
      () => multipart([title, file(png)], { end: false }).subarray(0, 150),
      { status: 400, path: '/body', errorCode: 'format.openapi.validation' },
    ],
    [
      'a body with a malformed part header',
      () =>
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\nBroken header line\r\n\r\nx\r\n--${boundary}--\r\n`,
        ),
      { status: 400, path: '/body', errorCode: 'format.openapi.validation' },
    ],
  ])('refuses %s as a validation error', async (_case, body, expected) => {
    const answer = await upload(body());
    expect(issue(answer)).toEqual(expected);
  });

  it('refuses a multipart content type without a boundary as an unsupported media type', async () => {
    const answer = await upload(multipart([title, file(png)]), 'multipart/form-data');
    expect(answer.status).toBe(415);
    expect(answer.body.message).toMatch(/boundary/i);
  });

  it('leaves other content types to the validator', async () => {
    const answer = await upload(
      Buffer.from(JSON.stringify({ title: 'Cover', file: 'x' })),
      'application/json',
    );
    expect(answer.status).toBe(415);
    expect(answer.body.message).toMatch(/unsupported media type application\/json/);
  });

  it('still validates the parameters of a multipart request', async () => {
    const answer = await upload(
      multipart([title, file(png)]),
      undefined,
      '/api/items/NOT-AN-ID/file',
    );
    expect(issue(answer)).toEqual({
      status: 400,
      path: '/params/itemId',
      errorCode: 'pattern.openapi.validation',
    });
  });
});
