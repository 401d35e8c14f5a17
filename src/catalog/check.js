// @ts-check
// Plain JavaScript: the Redocly plugin imports this, and Redocly loads plugins without a TypeScript loader.
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { envelopeNames } from './envelopes.js';
import { roleBody, roleCode, roleEntry, roleExampleName, roleValues } from './platform.js';

/** @typedef {import('./types.d.ts').Catalog} Catalog */
/** @typedef {import('./types.d.ts').CatalogEntry} CatalogEntry */
/** @typedef {import('./types.d.ts').CatalogGroup} CatalogGroup */
/** @typedef {import('./types.d.ts').CatalogProblem} CatalogProblem */

const schemaUrl = new URL('../../openapi/errors.schema.json', import.meta.url);
const validateSchema = new Ajv2020({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(schemaUrl, 'utf8')),
);

/** Statuses each surface may use: error responses are 4xx/5xx, the others ride on a success. */
const surfaceStatus = {
  http: (/** @type {number} */ status) => status >= 400,
  body: (/** @type {number} */ status) => status >= 200 && status < 300,
  field: (/** @type {number} */ status) => status >= 200 && status < 300,
};

/**
 * Everything wrong with a catalog: its JSON Schema, then the rules a schema cannot express
 * (unique names and codes, real statuses, the seed's numbering ranges, patterns).
 * @param {unknown} catalog parsed errors.yaml
 * @returns {CatalogProblem[]}
 */
export function checkCatalog(catalog) {
  if (!validateSchema(catalog)) {
    return (validateSchema.errors ?? []).map((error) => ({
      message: `${error.instancePath || 'catalog'} ${error.message}${describeParams(error.params)}`,
      path: error.instancePath.split('/').slice(1).map(pathSegment),
    }));
  }
  return checkRules(/** @type {Catalog} */ (catalog));
}

/** @param {Catalog} catalog */
function checkRules(catalog) {
  /** @type {CatalogProblem[]} */
  const problems = [];
  const envelope = catalog.wire.envelope;
  if (envelope !== undefined && !envelopeNames.includes(envelope)) {
    problems.push({
      message: `wire.envelope: no envelope is defined for ${envelope} (${envelopeNames.join(', ')})`,
      path: ['wire', 'envelope'],
    });
  }
  /** @type {Map<string, CatalogGroup>} */
  const groups = new Map();
  catalog.groups.forEach((group, index) => {
    if (groups.has(group.id)) {
      problems.push({ message: `duplicate group id ${group.id}`, path: ['groups', index, 'id'] });
    }
    groups.set(group.id, group);
  });
  /** @type {Seen} */
  const seen = { byName: new Map(), byCode: new Map() };
  catalog.errors.forEach((entry, index) => {
    const at = (/** @type {string} */ field) => ['errors', index, field];
    for (const { message, field } of checkEntry(catalog, entry, index, { groups, seen })) {
      problems.push({ message, path: at(field) });
    }
  });
  problems.push(...checkPlatform(catalog));
  return problems;
}

/**
 * The first index of each name and wire code met so far.
 * @typedef {{ byName: Map<string, number>, byCode: Map<number, number> }} Seen
 */

/**
 * Everything wrong with one entry: a name or code met before, a status that is not HTTP's or
 * does not fit its surface, its group's rules, its pattern, its optionalDetails.
 * @param {Catalog} catalog
 * @param {CatalogEntry} entry
 * @param {number} index
 * @param {{ groups: Map<string, CatalogGroup>, seen: Seen }} context
 * @returns {{ message: string, field: string }[]}
 */
function checkEntry(catalog, entry, index, { groups, seen }) {
  /** @type {{ message: string, field: string }[]} */
  const found = [];
  const problem = (/** @type {string} */ field, /** @type {string} */ message) =>
    found.push({ message, field });
  const firstName = seen.byName.get(entry.name);
  if (firstName !== undefined) {
    problem('name', `duplicate name ${entry.name} (first at errors[${firstName}])`);
  } else {
    seen.byName.set(entry.name, index);
  }
  if (entry.code !== undefined) {
    const firstCode = seen.byCode.get(entry.code);
    if (firstCode !== undefined) {
      const other = catalog.errors[firstCode]?.name;
      problem('code', `duplicate code ${entry.code}: ${entry.name} and ${other}`);
    } else {
      seen.byCode.set(entry.code, index);
    }
  }
  if (!STATUS_CODES[entry.status]) {
    problem('status', `${entry.name}: ${entry.status} is not an HTTP status`);
  } else if (!surfaceStatus[entry.surface](entry.status)) {
    problem(
      'status',
      `${entry.name}: status ${entry.status} does not fit surface ${entry.surface}`,
    );
  }
  const group = groups.get(entry.group);
  if (!group) {
    problem('group', `${entry.name}: unknown group ${entry.group}`);
  }
  if (group?.range) {
    const [first, last] = group.range;
    if (entry.code === undefined || entry.code < first || entry.code > last) {
      const code = entry.code ?? '(none)';
      problem(
        'code',
        `${entry.name}: code ${code} is outside group ${group.id} (${first}-${last})`,
      );
    }
  }
  if (group?.statuses && !group.statuses.includes(entry.status)) {
    const allowed = group.statuses.join(', ');
    problem(
      'status',
      `${entry.name}: status ${entry.status} is not allowed in group ${group.id} (${allowed})`,
    );
  }
  for (const message of checkPattern(entry)) {
    problem('pattern', message);
  }
  for (const key of entry.optionalDetails ?? []) {
    if (!Object.hasOwn(entry.details ?? {}, key)) {
      problem(
        'optionalDetails',
        `${entry.name}: optionalDetails names ${key}, which is not a key of its details`,
      );
    }
  }
  return found;
}

/**
 * The platform block: every code it names is an http or body code of the catalog (a field code
 * is never an answer of its own); a body that is no code has an error status and a name that is
 * not also a code's.
 * @param {Catalog} catalog
 * @returns {CatalogProblem[]}
 */
function checkPlatform(catalog) {
  const names = new Set(catalog.errors.map((entry) => entry.name));
  return roleValues(catalog.platform).flatMap((at) => {
    const where = at.path.slice(1).join('.');
    const name = roleCode(at.value);
    if (name !== undefined) {
      const entry = roleEntry(catalog, at.value);
      return entry && entry.surface !== 'field'
        ? []
        : [
            {
              message: `${where}: ${name} is not an http or body code of the catalog`,
              path: typeof at.value === 'string' ? at.path : [...at.path, 'code'],
            },
          ];
    }
    const body = roleBody(at.value);
    if (body && (!STATUS_CODES[body.status] || body.status < 400)) {
      return [
        {
          message: `${where}: ${body.status} is not an HTTP error status`,
          path: [...at.path, 'status'],
        },
      ];
    }
    const example = roleExampleName(at);
    return names.has(example)
      ? [
          {
            message: `${where}: its example would be named ${example}, which is a code of the catalog`,
            path: at.path,
          },
        ]
      : [];
  });
}

/**
 * A `_*` name needs a pattern; a pattern needs a sample it matches.
 * @param {CatalogEntry} entry
 * @returns {string[]}
 */
function checkPattern(entry) {
  if (entry.name.endsWith('_*') && entry.pattern === undefined) {
    return [`${entry.name}: a name ending in _* needs a pattern`];
  }
  if (entry.pattern === undefined) {
    return [];
  }
  let pattern;
  try {
    pattern = new RegExp(entry.pattern);
  } catch (error) {
    return [
      `${entry.name}: pattern is not a regular expression (${/** @type {Error} */ (error).message})`,
    ];
  }
  if (entry.sample === undefined) {
    return [`${entry.name}: a pattern needs a sample code`];
  }
  if (!pattern.test(entry.sample)) {
    return [`${entry.name}: sample ${entry.sample} does not match ${entry.pattern}`];
  }
  return [];
}

/** @param {string} segment */
function pathSegment(segment) {
  const unescaped = segment.replaceAll('~1', '/').replaceAll('~0', '~');
  return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
}

/** @param {Record<string, unknown>} params */
function describeParams(params) {
  const value = params.additionalProperty ?? params.allowedValues;
  return value === undefined ? '' : `: ${JSON.stringify(value)}`;
}
