/**
 * A forgiving reader for the markdown the catalogs arrive in: tables without a closing pipe,
 * rows separated by stray `|` lines (text copied from a web page), headings at any level.
 */

export interface Table {
  header: string[];
  rows: string[][];
}

/** The text under one heading, up to the next heading. */
export interface Section {
  heading: string;
  tables: Table[];
  codeBlocks: string[];
  /** Lines that are neither table, code nor blank. */
  lines: string[];
}

const headingLine = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const fence = /^\s*(```|~~~)/;
const separatorRow = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

export function readSections(markdown: string): Section[] {
  const sections: Section[] = [{ heading: '', tables: [], codeBlocks: [], lines: [] }];
  let current = sections[0] as Section;
  let table: Table | undefined;
  let code: string[] | undefined;

  for (const raw of markdown.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (code) {
      if (fence.test(line)) {
        current.codeBlocks.push(code.join('\n'));
        code = undefined;
      } else {
        code.push(raw);
      }
      continue;
    }
    if (fence.test(line)) {
      code = [];
      table = undefined;
      continue;
    }
    const heading = headingLine.exec(line);
    if (heading) {
      current = {
        heading: heading[2] ?? '',
        tables: [],
        codeBlocks: [],
        lines: [],
      };
      sections.push(current);
      table = undefined;
      continue;
    }
    const trimmed = line.trim();
    // A lone pipe is noise from a copied web page; it neither ends nor extends a table.
    if (trimmed === '|') {
      continue;
    }
    if (trimmed.startsWith('|')) {
      if (separatorRow.test(trimmed)) {
        continue;
      }
      const cells = splitRow(trimmed);
      if (table) {
        table.rows.push(cells);
      } else {
        table = { header: cells, rows: [] };
        current.tables.push(table);
      }
      continue;
    }
    table = undefined;
    if (trimmed !== '') {
      current.lines.push(line);
    }
  }
  return sections;
}

/** Cells of a table row; the closing pipe is optional and `\|` is a literal pipe. */
function splitRow(row: string): string[] {
  const body = row.replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return body.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
}
