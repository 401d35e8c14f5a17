// @ts-check
// What a catalog's `platform` block means: which roles it has, what each value names, and which
// roles an operation can meet. The catalog checks, the Redocly plugin, the mock and the server
// read the block through here.

/** @typedef {import('./types.d.ts').BodyAnswer} BodyAnswer */
/** @typedef {import('./types.d.ts').Catalog} Catalog */
/** @typedef {import('./types.d.ts').CatalogEntry} CatalogEntry */
/** @typedef {import('./types.d.ts').PlatformBlock} PlatformBlock */
/** @typedef {import('./types.d.ts').PlatformRole} PlatformRole */
/** @typedef {import('./types.d.ts').RoleValue} RoleValue */

/**
 * One value of the block: a role, or one keyword of `validation`.
 * @typedef {object} RoleAt
 * @property {PlatformRole} role
 * @property {string} [keyword] the JSON Schema keyword, for `validation`
 * @property {(string | number)[]} path where the value is in the catalog file
 * @property {RoleValue} value
 */

/**
 * What an operation takes, as far as the roles care.
 * @typedef {object} OperationShape
 * @property {boolean} body whether it takes a request body
 * @property {boolean} json whether that body can be JSON
 */

/** The roles of a platform block, in the catalog's order. */
const platformRoles = /** @type {const} */ ([
  'validation',
  'malformedJson',
  'mediaType',
  'bodyTooLarge',
  'unknownPath',
  'draining',
  'databaseDown',
  'internal',
]);

/** What each role is, for readers of the documents. */
export const roleDescriptions = /** @type {Record<PlatformRole, string>} */ ({
  validation: 'a request its schema refuses',
  malformedJson: 'a body that is not JSON',
  mediaType: 'a Content-Type the operation does not take',
  bodyTooLarge: 'a body over the size limit',
  unknownPath: 'a path or method the document does not have',
  draining: 'the service is shutting down',
  databaseDown: 'the database cannot be reached',
  internal: 'an unexpected failure',
});

/** Roles every operation can meet: the process and its database fail under any of them. */
const everyOperation = ['draining', 'databaseDown', 'internal'];

/**
 * Names of the examples that document a role answered by a body that is no code (podi's FastAPI
 * 422 and 500): the key of `Prefer: example=<NAME>`. `PLATFORM_` and the role, so that none can
 * be mistaken for a code of this or another catalog.
 * @type {Record<PlatformRole, string>}
 */
const exampleNames = {
  validation: 'PLATFORM_VALIDATION_FAILED',
  malformedJson: 'PLATFORM_MALFORMED_JSON',
  mediaType: 'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
  bodyTooLarge: 'PLATFORM_BODY_TOO_LARGE',
  unknownPath: 'PLATFORM_UNKNOWN_PATH',
  draining: 'PLATFORM_DRAINING',
  databaseDown: 'PLATFORM_DATABASE_DOWN',
  internal: 'PLATFORM_INTERNAL_ERROR',
};

/**
 * What a role is, as a heading or the start of a sentence: `A body that is not JSON`.
 * @param {PlatformRole} role
 */
export function roleTitle(role) {
  const text = roleDescriptions[role];
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/**
 * Every value of a block, each `validation` keyword on its own.
 * @param {PlatformBlock} platform
 * @returns {RoleAt[]}
 */
export function roleValues(platform) {
  return platformRoles.flatMap((role) =>
    role === 'validation'
      ? Object.entries(platform.validation).map(([keyword, value]) => ({
          role,
          keyword,
          path: ['platform', 'validation', keyword],
          value,
        }))
      : /** @type {RoleAt[]} */ ([{ role, path: ['platform', role], value: platform[role] }]),
  );
}

/**
 * The name of the catalog code a value answers with; undefined for a body that is no code.
 * @param {RoleValue} value
 * @returns {string | undefined}
 */
export function roleCode(value) {
  if (typeof value === 'string') {
    return value;
  }
  return 'code' in value ? value.code : undefined;
}

/**
 * The body a value answers with when it is no code; undefined for a code.
 * @param {RoleValue} value
 * @returns {BodyAnswer | undefined}
 */
export function roleBody(value) {
  return typeof value === 'object' && 'schema' in value ? value : undefined;
}

/**
 * The catalog entry a value answers with; undefined for a body that is no code.
 * @param {Catalog} catalog
 * @param {RoleValue} value
 * @returns {CatalogEntry | undefined}
 */
export function roleEntry(catalog, value) {
  const name = roleCode(value);
  return name === undefined ? undefined : catalog.errors.find((entry) => entry.name === name);
}

/**
 * The name of the example that documents a value answered by a body:
 * `PLATFORM_VALIDATION_FAILED`, `PLATFORM_VALIDATION_FAILED_ADDITIONAL_PROPERTIES`,
 * `PLATFORM_INTERNAL_ERROR`…
 * @param {RoleAt} at
 */
export function roleExampleName({ role, keyword }) {
  const name = exampleNames[role];
  return keyword === undefined || keyword === 'default' ? name : `${name}_${upperSnake(keyword)}`;
}

/**
 * The values an operation can be answered with by the platform, whatever its handler does:
 * the process and database failures; a refused query parameter (every operation refuses unknown
 * ones), as `validation.additionalProperties` or else `validation.default` says; and, for an
 * operation that takes a body, a wrong media type, an oversize body and, for a JSON body, one
 * that is not JSON. An unknown path is no operation's, so it is never one.
 * @param {PlatformBlock} platform
 * @param {OperationShape} shape
 * @returns {RoleAt[]}
 */
export function operationRoles(platform, shape) {
  const keyword = platform.validation.additionalProperties ? 'additionalProperties' : 'default';
  return roleValues(platform).filter(
    (at) =>
      everyOperation.includes(at.role) ||
      (at.role === 'validation' && at.keyword === keyword) ||
      (shape.body && (at.role === 'mediaType' || at.role === 'bodyTooLarge')) ||
      (shape.json && at.role === 'malformedJson'),
  );
}

/**
 * The values answered by a body that is no code which an operation can be answered with: those
 * of operationRoles and every `validation` keyword (any parameter can break any of them).
 * @param {PlatformBlock} platform
 * @param {OperationShape} shape
 * @returns {(RoleAt & { body: BodyAnswer })[]}
 */
export function operationBodies(platform, shape) {
  const applies = new Set(operationRoles(platform, shape).map((at) => at.role));
  return roleValues(platform).flatMap((at) => {
    const body = roleBody(at.value);
    return body && applies.has(at.role) ? [{ ...at, body }] : [];
  });
}

/** @param {string} name camelCase */
function upperSnake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
