import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ImportedCode, readCatalogTable } from '../../../src/catalog/import/read-table.ts';

const fixture = (name: string) => readFileSync(`test/fixtures/tables/${name}`, 'utf8');

// One small table per seed format, each written for these tests.
const formats: { format: string; file: string; expected: ImportedCode[] }[] = [
  {
    format: 'numeric codes in ranged sections, range advice and a retry list (task-market)',
    file: 'numeric-sections.md',
    expected: [
      {
        code: 10001,
        status: 400,
        message: { zh: '参数缺失' },
        advice: { zh: '检查请求' },
        details: { field: 'name' },
        retryable: false,
        group: { title: '参数错误', language: 'zh', range: [10000, 10099] },
      },
      {
        code: 10002,
        status: 400,
        message: { zh: '参数格式错误' },
        advice: { zh: '检查请求' },
        retryable: false,
        group: { title: '参数错误', language: 'zh', range: [10000, 10099] },
      },
      {
        code: 42901,
        status: 429,
        message: { zh: '请求过于频繁' },
        advice: { zh: '稍后重试' },
        retryable: true,
        group: { title: '限流错误', language: 'zh', range: [42900, 42999] },
      },
    ],
  },
  {
    format: 'an overview table and a section per code (workflow-cloud)',
    file: 'overview-with-sections.md',
    expected: [
      {
        name: 'LIMIT_REACHED',
        code: 201,
        message: { zh: '并发已达上限' },
        advice: { zh: '等待片刻； 重新提交。' },
        group: { title: '总览表', language: 'zh' },
      },
      {
        name: 'TICKET_MISSING',
        code: 202,
        message: { zh: '未找到工单' },
        advice: { zh: '确认工单编号。' },
        group: { title: '总览表', language: 'zh' },
      },
      {
        name: 'TICKET_LOCKED',
        code: 203,
        message: { zh: '工单已锁定' },
        advice: { zh: '确认工单编号。' },
        group: { title: '总览表', language: 'zh' },
      },
    ],
  },
  {
    format: 'XXYY module sections with names and statuses (bot-agent)',
    file: 'module-sections.md',
    expected: [
      {
        name: 'ORDER_NOT_FOUND',
        code: 7001,
        status: 404,
        message: { zh: '订单不存在' },
        advice: { zh: '检查order_id' },
        details: { order_id: 'ord_1' },
        group: { title: '订单相关错误', language: 'zh', range: [7000, 7099] },
      },
      {
        name: 'ORDER_LOCKED',
        code: 7002,
        status: 409,
        message: { zh: '订单已锁定' },
        advice: { zh: '稍后再试' },
        group: { title: '订单相关错误', language: 'zh', range: [7000, 7099] },
      },
    ],
  },
  {
    format: 'English tables copied from a web page, stray pipes and all (divination)',
    file: 'web-copy.md',
    expected: [
      {
        name: 'CARD_DECLINED',
        status: 402,
        message: { en: 'Card was declined' },
        advice: { en: 'Ask for another card' },
        group: { title: 'Billing', language: 'en' },
      },
      {
        name: 'INVOICE_NOT_FOUND',
        status: 404,
        message: { en: 'Invoice does not exist' },
        advice: { en: 'Refresh the list' },
        group: { title: 'Billing', language: 'en' },
      },
      {
        name: 'INTERNAL_ERROR',
        status: 500,
        message: { en: 'Unexpected error' },
        advice: { en: 'Allow retry' },
        group: { title: 'Global', language: 'en' },
      },
    ],
  },
  {
    format: 'identifiers with a remark column that is sometimes a status (podi)',
    file: 'remarks.md',
    expected: [
      {
        name: 'Q9001',
        message: { zh: '队列已满' },
        advice: {},
        note: '强约束，写入 `taskId`',
        group: { title: '队列', language: 'zh' },
      },
      {
        name: 'SHOP_HTTP_*',
        message: { zh: '商店 HTTP 非 200' },
        advice: {},
        group: { title: '上游', language: 'zh' },
      },
      {
        name: 'SHOP_TOKEN_MISSING',
        status: 401,
        message: { zh: '缺少商店 token' },
        advice: {},
        group: { title: '上游', language: 'zh' },
      },
    ],
  },
];

describe('readCatalogTable', () => {
  it.each(formats)('reads $format', ({ file, expected }) => {
    expect(readCatalogTable(fixture(file))).toEqual(expected);
  });

  it('finds nothing in markdown without a code column', () => {
    expect(readCatalogTable('# Notes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n')).toEqual([]);
  });
});
