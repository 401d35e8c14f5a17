// multipart/form-data uploads: multer with memory storage (nothing is ever written to disk), its
// limits and refusals turned into catalog codes or validation errors, never a 500.
//
// HOW TO CONFIGURE express-openapi-validator 5.6 AFTER IT (read from its source, proven in
// test/platform/uploads.test.ts):
//
//   route[method](uploadParser(rule, fail),
//                 ...OpenApiValidator.middleware({ ...the options of validator.ts, fileUploader: false }),
//                 handler)   // the handler reads the files with uploadedFiles(request)
//
// - `fileUploader: false`, always (src/platform/validator.ts sets `{}` for multipart paths
//   today: drop that). With `{}` the validator runs its own `multer().any()` on the body this
//   parser already consumed and every upload answers 500 "Unexpected end of form" (on its own,
//   its uploader answers a malformed body 500 and multer's limits a bare 413 or 400).
// - With `fileUploader: false` the validator still validates everything of a multipart request:
//   the content type against `requestBody.content` (415), the parameters, and `request.body`
//   against the form's schema: `required` (file fields included), `additionalProperties`, the
//   text fields' types, lengths, patterns, enums. Files never reach `request.body` by
//   themselves, so, as the validator's own uploader does, this parser puts a placeholder there
//   for each file field it received (`''`, or an array of `''` when the rule's `maxCount` > 1):
//   a required file that is missing fails `required` (`/body/file`), one that was sent passes
//   `type: string` (with `format: binary` or `contentMediaType`). A file field sent as a plain
//   text field is refused here (`type`); the validator's own uploader lets it through.
// - Form fields arrive as strings and the platform does not coerce bodies (`coerceTypes` would
//   coerce JSON bodies too): document a numeric form field as a string with a `pattern`.
// - No JSON or text body parser is needed on a multipart-only operation; this parser leaves any
//   other content type untouched, for the validator to refuse (415).
//
// WHAT IT ANSWERS (the platform maps the validator-style errors like the validator's own):
// - `fail(rule.tooLarge)`: a file over `maxFileBytes` (multer's LIMIT_FILE_SIZE);
// - `fail(rule.tooMany)`: more files than `maxFiles` (LIMIT_FILE_COUNT) or than a field's
//   `maxCount` (LIMIT_UNEXPECTED_FILE on a known field); without `tooMany`, validation `maxItems`;
// - `fail(rule.wrongType)`: a file whose declared type `types` does not accept (a file part
//   without a Content-Type is `text/plain`, as multipart says), or whose first bytes are not
//   those of the PNG, JPEG or WAV file it claims to be; without `wrongType`, validation
//   `contentMediaType`;
// - `fail(rule.empty)`: an empty file, when the rule names the code (else it is accepted, unless
//   its type is sniffed);
// - validation errors (express-openapi-validator's `BadRequest`, 400, one `errors` entry with
//   path `/body/<field>` and an `errorCode` `<keyword>.openapi.validation`), the platform's
//   `validation` role by keyword: `additionalProperties` (a file in a field the rule does not
//   name), `maxProperties` (more than `maxFields` text fields: LIMIT_PART_COUNT), `maxLength`
//   (a text field over `maxFieldBytes`, a field name too long), `type` (a file field sent as
//   text), `format` (a malformed multipart body: cut short, bad part headers, no field name);
// - the validator's `UnsupportedMediaType` (415), the platform's `mediaType` role: a
//   `multipart/*` content type without a boundary, or one busboy cannot read.
import type { Request, RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import multer from 'multer';

/** The limits of one operation's upload, and the catalog codes of their refusals. */
export interface UploadRule<Name extends string> {
  /** The form fields that carry files, with how many each may carry (1 by default). */
  files: Record<string, { maxCount?: number }>;
  /** Largest file, in bytes. */
  maxFileBytes: number;
  /** Most files in all (by default the sum of the fields' counts). */
  maxFiles?: number;
  /** Most text fields (32 by default). */
  maxFields?: number;
  /** Longest text field value, in bytes (64 KiB by default). */
  maxFieldBytes?: number;
  /** Accepted media types of the files (`image/png`, `audio/wav`, `image/*`); anything else is `wrongType`. */
  types?: string[];
  tooLarge: Name;
  wrongType?: Name;
  tooMany?: Name;
  empty?: Name;
}

/** A file as uploaded, held in memory: `buffer`, `size`, `mimetype`, `originalname`, `fieldname`. */
export type UploadedFile = Express.Multer.File;

/** The files of a request, by form field. */
export type UploadedFiles = Record<string, UploadedFile[]>;

/** The files uploadParser read from a request, by field; empty when it read none. */
export function uploadedFiles(request: Request): UploadedFiles {
  const files = request.files;
  return files && !Array.isArray(files) ? files : {};
}

/** A file as handlers get it (`Context.files` of src/platform/handlers.ts). */
export interface ReceivedFile {
  /** The form field that carried it. */
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** The files uploadParser read from a request, by field in the order the fields first came. */
export function receivedFiles(request: Request): ReceivedFile[] {
  return Object.values(uploadedFiles(request))
    .flat()
    .map((file) => ({
      field: file.fieldname,
      filename: file.originalname,
      contentType: file.mimetype,
      bytes: file.buffer,
    }));
}

const { BadRequest, UnsupportedMediaType } = OpenApiValidator.error;

/**
 * Reads a multipart/form-data body into `request.files` (by field, multer's `fields()` shape)
 * and `request.body` (the text fields, plus a placeholder per file field for the validator),
 * checking `rule`; any other content type passes untouched. Refusals go to `next` as
 * `fail(code, details)` or as validator-style errors (see the top of this file).
 */
export function uploadParser<Name extends string>(
  rule: UploadRule<Name>,
  fail: (code: Name, details: Record<string, unknown>) => Error,
): RequestHandler {
  const fields = Object.entries(rule.files).map(([name, { maxCount = 1 }]) => ({
    name,
    maxCount,
  }));
  const maxFiles = rule.maxFiles ?? fields.reduce((sum, field) => sum + field.maxCount, 0);
  const maxFields = rule.maxFields ?? 32;
  const maxFieldBytes = rule.maxFieldBytes ?? 64 * 1024;
  const refuse = refusals(rule, fail, maxFiles);
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: rule.maxFileBytes,
      files: maxFiles,
      parts: maxFiles + maxFields,
      fieldSize: maxFieldBytes,
      fieldNameSize: 200,
    },
    // The declared type is known before the file is read: refuse it before it is buffered.
    fileFilter: (_request, file, accept) => {
      if (rule.types && !acceptsType(rule.types, file.mimetype)) {
        accept(new Refusal(refuse.wrongType(file.fieldname, file.mimetype)));
      } else {
        accept(null, true);
      }
    },
  }).fields(fields);

  return (request, response, next) => {
    parse(request, response, (error: unknown) => {
      if (error) {
        next(toUploadError(error, rule, refuse));
        return;
      }
      try {
        checkFiles(request, rule, refuse);
      } catch (refusal) {
        next(refusal);
        return;
      }
      next();
    });
  };
}

/** An error a file filter gives multer, to get it back as is. */
class Refusal extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

type Refusals = ReturnType<typeof refusals>;

function refusals<Name extends string>(
  rule: UploadRule<Name>,
  fail: (code: Name, details: Record<string, unknown>) => Error,
  maxFiles: number,
) {
  return {
    tooLarge: (field: string) => fail(rule.tooLarge, { field, max_bytes: rule.maxFileBytes }),
    tooMany: (field: string | undefined, maxCount: number) =>
      rule.tooMany
        ? fail(rule.tooMany, { ...(field && { field }), max_count: maxCount })
        : invalid(
            'maxItems',
            field ?? '',
            field
              ? `at most ${maxCount} files in field ${field}`
              : `at most ${maxFiles} files in all`,
          ),
    wrongType: (field: string, type: string) =>
      rule.wrongType
        ? fail(rule.wrongType, { field, type, accepted: rule.types ?? [] })
        : invalid(
            'contentMediaType',
            field,
            `${type} is not one of the accepted types: ${(rule.types ?? []).join(', ')}`,
          ),
    /** The refusal of an empty file; undefined when the rule accepts them. */
    empty: (field: string) => (rule.empty ? fail(rule.empty, { field }) : undefined),
    maxFiles,
  };
}

/** A validation failure in express-openapi-validator's own shape, which the platform maps. */
function invalid(keyword: string, field: string, message: string): Error {
  const path = field ? `/body/${field}` : '/body';
  return new BadRequest({
    path,
    message,
    errors: [{ path, message, errorCode: `${keyword}.openapi.validation` }],
  } as never);
}

function toUploadError<Name extends string>(
  error: unknown,
  rule: UploadRule<Name>,
  refuse: Refusals,
): Error {
  if (error instanceof Refusal) {
    return error.error;
  }
  if (error instanceof multer.MulterError) {
    const field = error.field ?? '';
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return refuse.tooLarge(field);
      case 'LIMIT_FILE_COUNT':
        return refuse.tooMany(undefined, refuse.maxFiles);
      case 'LIMIT_UNEXPECTED_FILE': {
        const allowed = rule.files[field];
        return allowed
          ? refuse.tooMany(field, allowed.maxCount ?? 1)
          : invalid('additionalProperties', field, `no file is expected in field ${field}`);
      }
      case 'LIMIT_PART_COUNT':
      case 'LIMIT_FIELD_COUNT':
        return invalid('maxProperties', '', 'too many form fields');
      case 'LIMIT_FIELD_KEY':
        return invalid('maxLength', '', 'a form field name is too long');
      case 'LIMIT_FIELD_VALUE':
        return invalid('maxLength', field, `${field} is too long`);
      default:
        return invalid('format', field, `malformed multipart/form-data body: ${error.message}`);
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  // busboy's refusals of the Content-Type header itself, before any of the body is read.
  if (/boundary not found|malformed content type|unsupported content type/i.test(message)) {
    return new UnsupportedMediaType({
      path: '/headers/content-type',
      message: `unreadable multipart content type: ${message}`,
    } as never);
  }
  // Everything else comes from reading the body: cut short, malformed part headers, the client
  // gone. Memory storage has no failure of its own.
  return invalid('format', '', `malformed multipart/form-data body: ${message}`);
}

/** After multer: the checks of each received file, then the validator's placeholders. */
function checkFiles<Name extends string>(
  request: Request,
  rule: UploadRule<Name>,
  refuse: Refusals,
): void {
  const files = uploadedFiles(request);
  request.body ??= {};
  const body = request.body as Record<string, unknown>;
  for (const [field, { maxCount = 1 }] of Object.entries(rule.files)) {
    const received = files[field] ?? [];
    if (received.length === 0 && body[field] !== undefined) {
      throw invalid('type', field, `${field} must be a file`);
    }
    for (const file of received) {
      const empty = file.size === 0 ? refuse.empty(field) : undefined;
      if (empty) {
        throw empty;
      }
      if (rule.types && !matchesContent(file)) {
        throw refuse.wrongType(field, file.mimetype);
      }
    }
    if (received.length > 0) {
      body[field] = maxCount > 1 ? received.map(() => '') : '';
    }
  }
}

function acceptsType(accepted: readonly string[], declared: string): boolean {
  const type = mediaType(declared);
  return accepted.some((pattern) => {
    const wanted = mediaType(pattern);
    return (
      wanted === '*/*' ||
      wanted === type ||
      (wanted.endsWith('/*') && type.startsWith(wanted.slice(0, -1)))
    );
  });
}

function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** Magic numbers of the types whose content is checked, by declared type. */
const signatures: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (bytes) =>
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (bytes) => bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])),
  'audio/wav': (bytes) =>
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WAVE',
};
const aliases: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
};

/** Whether a file's first bytes are those of the type it declares, for the types we know. */
function matchesContent(file: UploadedFile): boolean {
  const type = mediaType(file.mimetype);
  const check = signatures[aliases[type] ?? type];
  return check ? check(file.buffer) : true;
}
