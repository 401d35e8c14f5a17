import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCatalog } from '../../src/catalog/check.js';
import type { Catalog, CatalogEntry } from '../../src/catalog/types.d.ts';

const services = ['task-market', 'bot-agent', 'divination', 'workflow-cloud', 'podi'];
const read = (service: string): Catalog =>
  parse(readFileSync(`openapi/${service}/errors.yaml`, 'utf8'));

describe('checkCatalog', () => {
  it.each(services)('accepts the %s catalog', (service) => {
    expect(checkCatalog(read(service))).toEqual([]);
  });

  it('accepts details nested as deep as the schema allows', () => {
    const catalog = read('bot-agent');
    entry(catalog, 'BOT_NOT_FOUND').details = {
      bot_id: 'work_bot_001',
      attempts: [1, 2.5],
      flags: [true],
      loc: ['body', 'messages', 0, 'content'],
      none: [],
      owner: { id: 'u_1', teams: [{ id: 't_1', admin: false }] },
    };
    expect(checkCatalog(catalog)).toEqual([]);
  });

  const entry = (catalog: Catalog, name: string) =>
    catalog.errors.find((e) => e.name === name) as CatalogEntry;

  // Each case breaks one rule of a valid catalog and names what the problem must mention.
  const cases: { rule: string; service: string; mutate: (c: Catalog) => void; says: RegExp }[] = [
    {
      rule: 'duplicate name',
      service: 'podi',
      mutate: (c) => {
        entry(c, 'RUN_NOT_FOUND').name = 'NOT_FOUND';
      },
      says: /duplicate name NOT_FOUND/,
    },
    {
      rule: 'duplicate code',
      service: 'task-market',
      mutate: (c) => {
        entry(c, 'AGENT_NOT_FOUND').code = 40401;
      },
      says: /duplicate code 40401: AGENT_NOT_FOUND and TASK_NOT_FOUND/,
    },
    {
      rule: 'status that is no HTTP status',
      service: 'bot-agent',
      mutate: (c) => {
        entry(c, 'BOT_NOT_FOUND').status = 499;
      },
      says: /BOT_NOT_FOUND: 499 is not an HTTP status/,
    },
    {
      rule: 'status out of range',
      service: 'bot-agent',
      mutate: (c) => {
        entry(c, 'BOT_NOT_FOUND').status = 604;
      },
      says: /status must be <= 599/,
    },
    {
      rule: 'error status on a success surface',
      service: 'workflow-cloud',
      mutate: (c) => {
        entry(c, 'TASK_QUEUE_MAXED').status = 429;
      },
      says: /TASK_QUEUE_MAXED: status 429 does not fit surface body/,
    },
    {
      rule: 'task-market 404xx → 404',
      service: 'task-market',
      mutate: (c) => {
        entry(c, 'TASK_NOT_FOUND').status = 400;
      },
      says: /TASK_NOT_FOUND: status 400 is not allowed in group resource \(404\)/,
    },
    {
      rule: 'bot-agent XXYY module prefix',
      service: 'bot-agent',
      mutate: (c) => {
        entry(c, 'GROUP_NOT_FOUND').code = 2013;
      },
      says: /GROUP_NOT_FOUND: code 2013 is outside group group-chat \(3000-3099\)/,
    },
    {
      rule: 'unknown group',
      service: 'divination',
      mutate: (c) => {
        entry(c, 'AUTH_UNAUTHORIZED').group = 'login';
      },
      says: /AUTH_UNAUTHORIZED: unknown group login/,
    },
    {
      rule: 'dynamic suffix without pattern',
      service: 'podi',
      mutate: (c) => {
        delete entry(c, 'COZE_HTTP_*').pattern;
      },
      says: /COZE_HTTP_\*: a name ending in _\* needs a pattern/,
    },
    {
      rule: 'sample that does not match its pattern',
      service: 'podi',
      mutate: (c) => {
        entry(c, 'COMFYUI_HISTORY_HTTP_*').sample = 'COMFYUI_HISTORY_HTTP_5XX';
      },
      says: /sample COMFYUI_HISTORY_HTTP_5XX does not match/,
    },
    {
      rule: 'missing English message',
      service: 'task-market',
      mutate: (c) => {
        delete (entry(c, 'TASK_EXPIRED').message as Partial<CatalogEntry['message']>).en;
      },
      says: /must have required property 'en'/,
    },
    {
      rule: 'platform role naming a code the catalog lacks',
      service: 'workflow-cloud',
      mutate: (c) => {
        c.platform.internal = 'PATH_UNKNOWN';
      },
      says: /^internal: PATH_UNKNOWN is not an http or body code of the catalog$/m,
    },
    {
      rule: 'stand-in role naming a code the catalog lacks',
      service: 'bot-agent',
      mutate: (c) => {
        c.platform.unknownPath = { code: 'PATH_NOT_FOUND', reason: 'no such code' };
      },
      says: /^unknownPath: PATH_NOT_FOUND is not an http or body code of the catalog$/m,
    },
    {
      rule: 'validation keyword naming a code the catalog lacks',
      service: 'task-market',
      mutate: (c) => {
        c.platform.validation.enum = 'INVALID_ENUM';
      },
      says: /^validation\.enum: INVALID_ENUM is not an http or body code of the catalog$/m,
    },
    {
      rule: 'platform role answered with a field code',
      service: 'podi',
      mutate: (c) => {
        c.platform.unknownPath = 'TASK_FAILED';
      },
      says: /^unknownPath: TASK_FAILED is not an http or body code of the catalog$/m,
    },
    {
      rule: 'body role whose status is no error',
      service: 'podi',
      mutate: (c) => {
        Object.assign(c.platform.internal, { status: 200 });
      },
      says: /^internal: 200 is not an HTTP error status$/m,
    },
    {
      rule: 'body role whose status is no HTTP status',
      service: 'podi',
      mutate: (c) => {
        Object.assign(c.platform.draining, { status: 599 });
      },
      says: /^draining: 599 is not an HTTP error status$/m,
    },
    {
      rule: 'body role whose example name is a code of the catalog',
      service: 'podi',
      mutate: (c) => {
        entry(c, 'RUN_NOT_FOUND').name = 'PLATFORM_INTERNAL_ERROR';
      },
      says: /^internal: its example would be named PLATFORM_INTERNAL_ERROR, which is a code of the catalog$/m,
    },
    {
      rule: 'body role without the reason it is no code',
      service: 'podi',
      mutate: (c) => {
        delete (c.platform.databaseDown as { reason?: string }).reason;
      },
      says: /\/platform\/databaseDown must have required property 'reason'/,
    },
    {
      rule: 'stand-in role without its reason',
      service: 'divination',
      mutate: (c) => {
        c.platform.draining = { code: 'INTERNAL_ERROR' } as never;
      },
      says: /\/platform\/draining must have required property 'reason'/,
    },
    {
      rule: 'validation without a default',
      service: 'task-market',
      mutate: (c) => {
        delete (c.platform.validation as { default?: unknown }).default;
      },
      says: /\/platform\/validation must have required property 'default'/,
    },
    {
      rule: 'catalog without a platform block',
      service: 'divination',
      mutate: (c) => {
        delete (c as { platform?: unknown }).platform;
      },
      says: /catalog must have required property 'platform'/,
    },
    {
      rule: 'platform block missing a role',
      service: 'workflow-cloud',
      mutate: (c) => {
        delete (c.platform as { draining?: unknown }).draining;
      },
      says: /\/platform must have required property 'draining'/,
    },
    {
      rule: 'top-level unknownPath, which the platform block replaced',
      service: 'task-market',
      mutate: (c) => {
        Object.assign(c, { unknownPath: 'RESOURCE_NOT_FOUND' });
      },
      says: /must NOT have additional properties: "unknownPath"/,
    },
    {
      rule: 'optional details key that is not a key of details',
      service: 'task-market',
      mutate: (c) => {
        entry(c, 'UPSTREAM_ERROR').optionalDetails = ['upstream_status'];
      },
      says: /UPSTREAM_ERROR: optionalDetails names upstream_status, which is not a key of its details/,
    },
    {
      rule: 'optional details on a code without details',
      service: 'task-market',
      mutate: (c) => {
        entry(c, 'INTERNAL_ERROR').optionalDetails = ['trace_id'];
      },
      says: /INTERNAL_ERROR: optionalDetails names trace_id, which is not a key of its details/,
    },
    {
      rule: 'details value that is null',
      service: 'task-market',
      mutate: (c) => {
        Object.assign(entry(c, 'TASK_NOT_FOUND').details ?? {}, { task_id: null });
      },
      says: /\/errors\/\d+\/details\/task_id must match a schema in anyOf/,
    },
    {
      rule: 'details array mixing scalars and objects',
      service: 'task-market',
      mutate: (c) => {
        Object.assign(entry(c, 'TASK_STATE_INVALID').details ?? {}, {
          allowed_statuses: ['claimed', { status: 'submitted' }],
        });
      },
      says: /\/errors\/\d+\/details\/allowed_statuses must match a schema in anyOf/,
    },
    {
      rule: 'validation keyword the server never reports (a typo)',
      service: 'task-market',
      mutate: (c) => {
        c.platform.validation.requried = 'MISSING_PARAMETER';
      },
      says: /\/platform\/validation must be equal to one of the allowed values/,
    },
    {
      rule: 'platform role naming a code with a dynamic suffix',
      service: 'podi',
      mutate: (c) => {
        c.platform.unknownPath = 'COZE_HTTP_*';
      },
      says: /\/platform\/unknownPath must match pattern/,
    },
    {
      rule: 'envelope no service has',
      service: 'task-market',
      mutate: (c) => {
        c.wire.envelope = 'shop';
      },
      says: /^wire\.envelope: no envelope is defined for shop \(task-market, bot-agent, divination, workflow-cloud, podi\)$/m,
    },
    {
      rule: 'details that are not an object',
      service: 'bot-agent',
      mutate: (c) => {
        Object.assign(entry(c, 'BOT_NOT_FOUND'), { details: 'work_bot_001' });
      },
      says: /\/errors\/\d+\/details must be object/,
    },
    {
      rule: 'unknown field',
      service: 'task-market',
      mutate: (c) => {
        Object.assign(entry(c, 'TASK_EXPIRED'), { http: 409 });
      },
      says: /must NOT have additional properties: "http"/,
    },
  ];

  it.each(cases)('reports a $rule', ({ service, mutate, says }) => {
    const catalog = read(service);
    mutate(catalog);
    const messages = checkCatalog(catalog).map((problem) => problem.message);
    expect(messages.join('\n')).toMatch(says);
  });
});
