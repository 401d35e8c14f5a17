// multipart/form-data uploads, read here because the validator's own uploader would re-read the
// consumed body. Refusals come out as the service's catalog codes, or as validator-style errors
// (400 with a keyword, 415) that the platform maps like the validator's own.
import type { Request, RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import multer from 'multer';
import { PlatformError } from './failures.ts';

/**
 * The limits of one operation's upload, and the catalog codes of their refusals. Beyond these,
 * validation refuses a file in a field not named here (`additionalProperties`), a file field
 * sent as text (`type`) and a malformed body (`format`).
 */
export interface UploadRule<Name extends string> {
  /** The form fields that carry files, with how many each may carry (1 by default). */
  files: Record<string, { maxCount?: number }>;
  /** Largest file, in bytes; a larger one is `tooLarge`. */
  maxFileBytes: number;
  /** Most files in all (by default the sum of the fields' counts); more is `tooMany`. */
  maxFiles?: number;
  /** Most text fields (32 by default); more is refused by validation (`maxProperties`). */
  maxFields?: number;
  /** Longest text field value, in bytes (64 KiB by default); longer is validation `maxLength`. */
  maxFieldBytes?: number;
  /**
   * Accepted media types of the files (`image/png`, `audio/wav`, `image/*`). A file declared
   * otherwise (`text/plain` when its part has no Content-Type), or whose first bytes are not
   * those of the PNG, JPEG or WAV it claims to be, is `wrongType`.
   */
  types?: string[];
  /**
   * Refuses a file over maxFileBytes: facts `field`, `maxBytes`. Without it, the catalog's
   * `bodyTooLarge` answer, as for any body over its limit.
   */
  tooLarge?: Name;
  /**
   * Refuses a file of a type `types` does not accept: facts `field`, `contentType`, `accepted`,
   * and `size` when its bytes were read. Without it, validation `contentMediaType`.
   */
  wrongType?: Name;
  /**
   * Refuses more files than a field's `maxCount` (facts `field`, `maxFiles`: that count) or than
   * `maxFiles` in all (`field` ''). Without it, validation `maxItems`.
   */
  tooMany?: Name;
  /** Refuses an empty file (facts `field`, `size` 0); without it one passes, unless sniffed. */
  empty?: Name;
}

/** What a refusal is about, for the service to put in its catalog's details. */
export interface UploadFacts {
  /** The form field; '' when the refusal is about the whole form. */
  field: string;
  maxBytes?: number;
  size?: number;
  contentType?: string;
  accepted?: string[];
  maxFiles?: number;
}

/** How a service builds its error for one of its rule's codes. */
type Refuse<Name extends string> = (code: Name, facts: UploadFacts) => Error;

/** A file as uploaded, held in memory. */
type UploadedFile = Express.Multer.File;

/** The files uploadParser read from a request, by field; empty when it read none. */
function uploadedFiles(request: Request): Record<string, UploadedFile[]> {
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
 * Reads a multipart/form-data body into memory, checking `rule`: the files into `request.files`
 * (by field), the text fields into `request.body` with a placeholder per file field received
 * (`''`, or an array of them when the field takes several), so the validator checks `required`
 * and the form's schema. Form fields stay strings: document a number as a string with a
 * `pattern`. Any other content type passes untouched, for the validator to refuse.
 */
export function uploadParser<Name extends string>(
  rule: UploadRule<Name>,
  refuse: Refuse<Name>,
): RequestHandler {
  const fields = Object.entries(rule.files).map(([name, { maxCount = 1 }]) => ({
    name,
    maxCount,
  }));
  const maxFiles = rule.maxFiles ?? fields.reduce((sum, field) => sum + field.maxCount, 0);
  const maxFields = rule.maxFields ?? 32;
  // What the file filter refused: multer hands that error back unchanged.
  const filtered = new WeakSet<object>();
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: rule.maxFileBytes,
      files: maxFiles,
      parts: maxFiles + maxFields,
      fieldSize: rule.maxFieldBytes ?? 64 * 1024,
      fieldNameSize: 200,
    },
    // The declared type is known before the file is read: refuse it before it is buffered.
    fileFilter: (_request, file, accept) => {
      if (!rule.types || acceptsType(rule.types, file.mimetype)) {
        accept(null, true);
        return;
      }
      const error = wrongType(rule, refuse, { field: file.fieldname, contentType: file.mimetype });
      filtered.add(error);
      accept(error);
    },
  }).fields(fields);

  return (request, response, next) => {
    parse(request, response, (error: unknown) => {
      if (error) {
        next(filtered.has(error as object) ? error : toUploadError(error, rule, refuse, maxFiles));
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

/** The rule's catalog code when it names one, else the validation error it stands for. */
function refusal<Name extends string>(
  code: Name | undefined,
  refuse: Refuse<Name>,
  facts: UploadFacts,
  keyword: string,
  message: string,
): Error {
  return code ? refuse(code, facts) : invalid(keyword, facts.field, message);
}

function wrongType<Name extends string>(
  rule: UploadRule<Name>,
  refuse: Refuse<Name>,
  facts: UploadFacts & { contentType: string },
): Error {
  const accepted = rule.types ?? [];
  const message = `${facts.contentType} is not one of the accepted types: ${accepted.join(', ')}`;
  return refusal(rule.wrongType, refuse, { ...facts, accepted }, 'contentMediaType', message);
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
  refuse: Refuse<Name>,
  maxFiles: number,
): Error {
  if (error instanceof multer.MulterError) {
    const field = error.field ?? '';
    switch (error.code) {
      case 'LIMIT_FILE_SIZE': {
        const facts = { field, maxBytes: rule.maxFileBytes };
        return rule.tooLarge
          ? refuse(rule.tooLarge, facts)
          : new PlatformError({
              role: 'bodyTooLarge',
              reason: `${field} is larger than ${rule.maxFileBytes} bytes`,
            });
      }
      case 'LIMIT_FILE_COUNT': {
        const message = `at most ${maxFiles} files in all`;
        return refusal(rule.tooMany, refuse, { field: '', maxFiles }, 'maxItems', message);
      }
      case 'LIMIT_UNEXPECTED_FILE': {
        const allowed = rule.files[field];
        if (!allowed) {
          return invalid('additionalProperties', field, `no file is expected in field ${field}`);
        }
        const maxCount = allowed.maxCount ?? 1;
        const message = `at most ${maxCount} files in field ${field}`;
        return refusal(rule.tooMany, refuse, { field, maxFiles: maxCount }, 'maxItems', message);
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
  refuse: Refuse<Name>,
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
      if (file.size === 0 && rule.empty) {
        throw refuse(rule.empty, { field, size: 0 });
      }
      if (rule.types && !matchesContent(file)) {
        throw wrongType(rule, refuse, { field, contentType: file.mimetype, size: file.size });
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
