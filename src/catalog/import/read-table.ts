import type { Language } from '../types.d.ts';
import { readSections, type Section, type Table } from './markdown.ts';

/** What one markdown catalog says about one code. Fields are absent where the table is silent. */
export interface ImportedCode {
  /** Identifier (`TASK_NOT_FOUND`); absent where the table has numbers only. */
  name?: string;
  /** Numeric wire code (`40401`, `421`, bot-agent's `1001`). */
  code?: number;
  status?: number;
  message: Partial<Record<Language, string>>;
  advice: Partial<Record<Language, string>>;
  /** Set where the document lists retryable codes. */
  retryable?: boolean;
  details?: Record<string, unknown>;
  /** A remark that is not a status (podi's 备注 column). */
  note?: string;
  group: ImportedGroup;
}

export interface ImportedGroup {
  title: string;
  language: Language;
  range?: [number, number];
}

interface Columns {
  code: number;
  name?: number;
  status?: number;
  message?: number;
  advice?: number;
  note?: number;
}

/** Header names of the five seed formats (and their obvious English variants). */
const headerNames: Record<keyof Columns, RegExp> = {
  code: /^(错误码|编号|code|error code)$/i,
  name: /^(错误名称|错误标识|name|identifier)$/i,
  status: /^(http\s*状态码|status|http status)$/i,
  message: /^(说明|含义简介|含义|meaning|description|message)$/i,
  advice: /^(解决方案|处理建议|frontend handling|handling|advice)$/i,
  note: /^(备注|note|notes)$/i,
};

const identifier = /^[A-Z][A-Z0-9_]*(_\*)?$/;

export function detectLanguage(text: string): Language {
  return /[\u3400-\u9fff]/.test(text) ? 'zh' : 'en';
}

/**
 * Reads every code of a markdown error catalog in any of the five seed formats: per-section
 * tables (task-market, bot-agent, divination, podi) or one overview table with a section per code
 * (workflow-cloud), plus range-wide advice, a retryable list and JSON examples with details.
 */
export function readCatalogTable(markdown: string): ImportedCode[] {
  const sections = readSections(markdown);
  const codes: ImportedCode[] = [];
  for (const section of sections) {
    for (const table of section.tables) {
      const columns = findColumns(table.header);
      if (columns) {
        codes.push(...readRows(table, columns, groupOf(section)));
      }
    }
  }
  applyExamples(codes, sections);
  applySectionAdvice(codes, sections);
  applyRangeAdvice(codes, sections);
  applyRetryableList(codes, sections);
  return codes;
}

function findColumns(header: string[]): Columns | undefined {
  const find = (key: keyof Columns) => {
    const index = header.findIndex((cell) => headerNames[key].test(unquote(cell)));
    return index < 0 ? undefined : index;
  };
  const code = find('code');
  if (code === undefined) {
    return undefined;
  }
  return {
    code,
    name: find('name'),
    status: find('status'),
    message: find('message'),
    advice: find('advice'),
    note: find('note'),
  };
}

function readRows(table: Table, columns: Columns, group: ImportedGroup): ImportedCode[] {
  const codes: ImportedCode[] = [];
  for (const row of table.rows) {
    const cell = (index: number | undefined) =>
      index === undefined ? '' : unquote(row[index] ?? '');
    const key = cell(columns.code);
    const number = /^\d+$/.test(key) ? Number(key) : undefined;
    const name = cell(columns.name) || (identifier.test(key) ? key : undefined);
    // Code 0 is success, not an error.
    if ((number === undefined && name === undefined) || number === 0) {
      continue;
    }
    const imported: ImportedCode = { message: {}, advice: {}, group };
    if (name !== undefined) {
      imported.name = name;
    }
    if (number !== undefined) {
      imported.code = number;
    }
    const status = /\b([1-5]\d\d)\b/.exec(cell(columns.status))?.[1];
    const note = cell(columns.note);
    if (status !== undefined) {
      imported.status = Number(status);
    } else if (/^[1-5]\d\d$/.test(note)) {
      imported.status = Number(note);
    } else if (note) {
      imported.note = note;
    }
    const message = cell(columns.message);
    if (message) {
      imported.message[detectLanguage(message)] = message;
    }
    const advice = cell(columns.advice);
    if (advice) {
      imported.advice[detectLanguage(advice)] = advice;
    }
    codes.push(imported);
  }
  return codes;
}

/** A section heading as a group: `### 2.2 客户端错误 (40000-40999)`, `### 10xx Bot相关错误`, `## Auth`. */
function groupOf(section: Section): ImportedGroup {
  let title = section.heading.replace(/^\d+(\.\d+)*\.?\s+/, '');
  let range: [number, number] | undefined;
  const explicit = /[(（]\s*(\d+)\s*[-–~]\s*(\d+)\s*[)）]/.exec(title);
  const prefix = /^(\d+)xx\b/i.exec(title);
  if (explicit) {
    range = [Number(explicit[1]), Number(explicit[2])];
    title = title.replace(explicit[0], '');
  } else if (prefix) {
    const head = prefix[1] ?? '';
    range = [Number(`${head}00`), Number(`${head}99`)];
    title = title.replace(prefix[0], '');
  }
  title = title.trim();
  return { title, language: detectLanguage(title), ...(range && { range }) };
}

/** JSON examples after a table: `{"code": 40201, "details": {...}}` gives that code's details. */
function applyExamples(codes: ImportedCode[], sections: Section[]) {
  for (const block of sections.flatMap((section) => section.codeBlocks)) {
    let example: unknown;
    try {
      example = JSON.parse(block);
    } catch {
      continue;
    }
    const error = findErrorObject(example);
    if (!error || typeof error.details !== 'object' || error.details === null) {
      continue;
    }
    const target = codes.find((code) => code.code === error.code || code.name === error.code);
    if (target && !target.details) {
      target.details = error.details as Record<string, unknown>;
    }
  }
}

function findErrorObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const object = value as Record<string, unknown>;
  if ('code' in object) {
    return object;
  }
  for (const child of Object.values(object)) {
    const found = findErrorObject(child);
    if (found) {
      return found;
    }
  }
  return undefined;
}

/**
 * A section per code (`### 415 TASK_INSTANCE_MAXED`) whose `**处理建议**` list is the advice, and
 * bullets naming several codes (`* 380/901 等…`) whose sub-bullets advise all of them.
 */
function applySectionAdvice(codes: ImportedCode[], sections: Section[]) {
  for (const section of sections) {
    const heading = /^(\d+)\s+([A-Z][A-Z0-9_]*)\b/.exec(section.heading);
    if (heading) {
      const target = codes.find((code) => code.code === Number(heading[1]));
      const advice = adviceLines(section.lines);
      if (target && advice && !target.advice[detectLanguage(advice)]) {
        target.advice[detectLanguage(advice)] = advice;
      }
      continue;
    }
    applyBulletAdvice(codes, section.lines);
  }
}

/** The numbered items after a `**处理建议**` (or `**Advice**`) bullet, joined. */
function adviceLines(lines: string[]): string | undefined {
  const start = lines.findIndex((line) => /\*\*(处理建议|建议|advice|handling)\*\*/i.test(line));
  if (start < 0) {
    return undefined;
  }
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^\s*(\d+[.)、]|[-*])\s+(.*)$/.exec(line);
    if (!item || /^\s*[-*]\s+\*\*/.test(line)) {
      break;
    }
    items.push((item[2] ?? '').trim());
  }
  return items.length > 0 ? items.join(' ') : undefined;
}

function applyBulletAdvice(codes: ImportedCode[], lines: string[]) {
  let targets: ImportedCode[] = [];
  for (const line of lines) {
    const topLevel = /^[-*]\s+(.*)$/.exec(line);
    if (topLevel) {
      const numbers = /^(\d+(?:\s*\/\s*\d+)+)/.exec(topLevel[1] ?? '')?.[1];
      targets = numbers
        ? codes.filter((code) =>
            numbers
              .split('/')
              .map(Number)
              .includes(code.code ?? -1),
          )
        : [];
      continue;
    }
    const nested = /^\s+[-*]\s+(.*)$/.exec(line);
    if (nested && targets.length > 0) {
      const advice = (nested[1] ?? '').trim();
      for (const target of targets) {
        const language = detectLanguage(advice);
        target.advice[language] = target.advice[language]
          ? `${target.advice[language]} ${advice}`
          : advice;
      }
    }
  }
}

/** A `错误码范围 | 处理建议` table: advice for every code in a range, the narrowest range winning. */
function applyRangeAdvice(codes: ImportedCode[], sections: Section[]) {
  const ranges: { first: number; last: number; advice: string }[] = [];
  for (const table of sections.flatMap((section) => section.tables)) {
    const rangeColumn = table.header.findIndex((cell) => /错误码范围|code range/i.test(cell));
    const adviceColumn = table.header.findIndex((cell) => headerNames.advice.test(unquote(cell)));
    if (rangeColumn < 0 || adviceColumn < 0) {
      continue;
    }
    for (const row of table.rows) {
      const range = /(\d+)\s*[-–~]\s*(\d+)/.exec(row[rangeColumn] ?? '');
      const advice = unquote(row[adviceColumn] ?? '');
      if (range && advice) {
        ranges.push({ first: Number(range[1]), last: Number(range[2]), advice });
      }
    }
  }
  for (const code of codes) {
    const value = code.code;
    if (value === undefined) {
      continue;
    }
    const narrowest = ranges
      .filter((range) => value >= range.first && value <= range.last)
      .sort((a, b) => a.last - a.first - (b.last - b.first))[0];
    if (narrowest && !code.advice[detectLanguage(narrowest.advice)]) {
      code.advice[detectLanguage(narrowest.advice)] = narrowest.advice;
    }
  }
}

/** `const retryableErrors = [42901, 50001]` in a code block marks those codes retryable. */
function applyRetryableList(codes: ImportedCode[], sections: Section[]) {
  for (const block of sections.flatMap((section) => section.codeBlocks)) {
    const list = /retryable\w*\s*=\s*\[([^\]]*)\]/i.exec(block)?.[1];
    if (list === undefined) {
      continue;
    }
    const retryable = new Set(list.split(',').map((item) => item.trim().replace(/['"]/g, '')));
    for (const code of codes) {
      code.retryable = retryable.has(String(code.code)) || retryable.has(code.name ?? '');
    }
  }
}

function unquote(cell: string): string {
  return cell.replace(/^`(.*)`$/, '$1').trim();
}
