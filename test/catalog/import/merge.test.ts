import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importIntoCatalog } from '../../../src/catalog/import/merge.ts';
import { readCatalogTable } from '../../../src/catalog/import/read-table.ts';
import type { Catalog } from '../../../src/catalog/types.d.ts';

const codes = (file: string) =>
  readCatalogTable(readFileSync(`test/fixtures/tables/${file}`, 'utf8'));

describe('importIntoCatalog', () => {
  it('starts a catalog from a table and lists what is left to write by hand', () => {
    const { yaml, report } = importIntoCatalog(undefined, 'orders', codes('module-sections.md'));
    const catalog: Catalog = parse(yaml);

    expect(yaml.startsWith('# yaml-language-server: $schema=../errors.schema.json')).toBe(true);
    expect(report.added).toEqual(['ORDER_NOT_FOUND', 'ORDER_LOCKED']);
    expect(catalog.groups).toEqual([
      { id: 'section-1', title: { zh: '订单相关错误' }, range: [7000, 7099] },
    ]);
    expect(catalog.errors[0]).toEqual({
      name: 'ORDER_NOT_FOUND',
      code: 7001,
      status: 404,
      group: 'section-1',
      surface: 'http',
      message: { zh: '订单不存在' },
      advice: { zh: '检查order_id' },
      retryable: false,
      details: { order_id: 'ord_1' },
    });
    const missing = report.problems.map((problem) => problem.message).join('\n');
    expect(missing).toMatch(/\/title must have required property 'zh'/);
    expect(missing).toMatch(/\/errors\/0\/message must have required property 'en'/);
    expect(missing).toMatch(/catalog must have required property 'platform'/);
  });

  it('keeps curated fields and takes what the table states', () => {
    const curated = `service: orders
title: { zh: 订单, en: Orders }
wire: { language: zh, contentType: application/json, schema: Error }
# Complete, so the problems below are only the import's.
platform:
  validation: { default: ORDER_NOT_FOUND }
  malformedJson: ORDER_NOT_FOUND
  mediaType: ORDER_NOT_FOUND
  bodyTooLarge: ORDER_NOT_FOUND
  unknownPath: ORDER_NOT_FOUND
  draining: ORDER_NOT_FOUND
  databaseDown: ORDER_NOT_FOUND
  internal: ORDER_NOT_FOUND
groups:
  - id: orders
    title: { zh: 订单相关错误, en: Orders }
    range: [7000, 7099]
errors:
  # Curated by hand.
  - name: ORDER_NOT_FOUND
    code: 7001
    status: 400
    group: orders
    surface: http
    message: { zh: 旧的说明, en: Order not found }
    retryable: false
    details: { order_id: ord_0, reason: archived }
`;
    const { yaml, report } = importIntoCatalog(curated, 'orders', codes('module-sections.md'));
    const catalog: Catalog = parse(yaml);

    expect(report.updated).toEqual(['ORDER_NOT_FOUND']);
    expect(report.added).toEqual(['ORDER_LOCKED']);
    expect(yaml).toContain('# Curated by hand.');
    expect(catalog.errors[0]).toMatchObject({
      status: 404,
      group: 'orders',
      message: { zh: '订单不存在', en: 'Order not found' },
      advice: { zh: '检查order_id' },
      // The table's key wins; the one written by hand beside it stays.
      details: { order_id: 'ord_1', reason: 'archived' },
    });
    expect(catalog.errors[1]).toMatchObject({ name: 'ORDER_LOCKED', group: 'orders' });
    expect(report.problems.map((problem) => problem.message)).toEqual([
      "/errors/0/advice must have required property 'en'",
      "/errors/1/message must have required property 'en'",
      "/errors/1/advice must have required property 'en'",
    ]);
  });

  it('drops the mark of our advice once the table gives advice of its own', () => {
    const started = importIntoCatalog(undefined, 'orders', codes('module-sections.md')).yaml;
    const ours = started.replace(
      /( {4}advice:\n {6}zh: 检查order_id\n)/,
      '$1    adviceSource: ours\n',
    );
    expect(ours).not.toBe(started);
    const { yaml } = importIntoCatalog(ours, 'orders', codes('module-sections.md'));
    expect((parse(yaml) as Catalog).errors[0]?.adviceSource).toBeUndefined();
  });

  it('gives codes with a dynamic suffix a pattern to complete with a sample', () => {
    const { yaml } = importIntoCatalog(undefined, 'shop', codes('remarks.md'));
    const catalog: Catalog = parse(yaml);
    expect(catalog.errors.find((entry) => entry.name === 'SHOP_HTTP_*')?.pattern).toBe(
      '^SHOP_HTTP_\\d{3}$',
    );
    expect(catalog.errors.find((entry) => entry.name === 'Q9001')?.note).toBe(
      '强约束，写入 `taskId`',
    );
  });
});
