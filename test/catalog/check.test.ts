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
      rule: 'code for unknown paths that is not in the catalog',
      service: 'workflow-cloud',
      mutate: (c) => {
        c.unknownPath = 'PATH_UNKNOWN';
      },
      says: /unknownPath PATH_UNKNOWN is not an http or body code of the catalog/,
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
