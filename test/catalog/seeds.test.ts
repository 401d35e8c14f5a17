import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importIntoCatalog } from '../../src/catalog/import/merge.ts';
import { readCatalogTable } from '../../src/catalog/import/read-table.ts';
import { loadCatalog } from '../../src/catalog/load.js';

// The seeds as handed over (seeds/), and how many codes each holds: 303 in all.
const seeds = [
  { service: 'task-market', codes: 36 },
  { service: 'workflow-cloud', codes: 25 },
  { service: 'bot-agent', codes: 68 },
  { service: 'divination', codes: 52 },
  { service: 'podi', codes: 122 },
];

describe.each(seeds)('the $service catalog', ({ service, codes }) => {
  const table = readFileSync(`seeds/${service}.md`, 'utf8');
  const seed = readCatalogTable(table);
  const catalog = loadCatalog(`openapi/${service}/errors.yaml`);
  const find = (code: (typeof seed)[number]) =>
    catalog.errors.find((entry) =>
      code.code !== undefined ? entry.code === code.code : entry.name === code.name,
    );

  it(`holds the seed's ${codes} codes and no other`, () => {
    expect(seed).toHaveLength(codes);
    expect(catalog.errors).toHaveLength(codes);
    expect(seed.filter((code) => !find(code))).toEqual([]);
  });

  it("keeps each code's seed status, or gives a reason for the one it chose", () => {
    for (const code of seed) {
      const entry = find(code);
      if (code.status !== undefined) {
        expect({ name: entry?.name, status: entry?.status }).toEqual({
          name: entry?.name,
          status: code.status,
        });
      } else {
        expect(entry?.statusReason, `${entry?.name} needs a statusReason`).toBeTypeOf('string');
      }
    }
  });

  it("keeps the seed's messages and advice word for word", () => {
    for (const code of seed) {
      const entry = find(code);
      expect(entry?.message).toMatchObject(code.message);
      expect(entry?.advice ?? {}).toMatchObject(code.advice);
    }
  });

  it('marks as ours exactly the advice its seed does not give', () => {
    for (const entry of catalog.errors) {
      const code = seed.find((each) =>
        each.code !== undefined ? entry.code === each.code : entry.name === each.name,
      );
      const fromSeed = Object.keys(code?.advice ?? {}).length > 0;
      const expected = entry.advice && !fromSeed ? 'ours' : undefined;
      expect({ name: entry.name, adviceSource: entry.adviceSource }).toEqual({
        name: entry.name,
        adviceSource: expected,
      });
    }
  });

  it('is unchanged when its seed is imported again', () => {
    const source = readFileSync(`openapi/${service}/errors.yaml`, 'utf8');
    const { yaml, report } = importIntoCatalog(source, service, seed);
    expect(report.added).toEqual([]);
    expect(report.updated).toEqual([]);
    expect(yaml).toBe(source);
  });
});
