// npm run catalog:import -- <table.md> <service>
// Brings a team's markdown error table into openapi/<service>/errors.yaml (created or merged).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importIntoCatalog } from '../src/catalog/import/merge.ts';
import { readCatalogTable } from '../src/catalog/import/read-table.ts';

const [table, service] = process.argv.slice(2);
if (!table || !service || !/^[a-z][a-z0-9-]*$/.test(service)) {
  console.error('usage: npm run catalog:import -- <table.md> <service>');
  process.exit(2);
}

const codes = readCatalogTable(readFileSync(table, 'utf8'));
if (codes.length === 0) {
  console.error(
    `${table}: no error table found (a table needs a code column: 错误码, 编号 or code)`,
  );
  process.exit(1);
}
const file = join('openapi', service, 'errors.yaml');
const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
const { yaml, report } = importIntoCatalog(existing, service, codes);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, yaml);

console.log(
  `${file}: ${codes.length} codes read from ${table}; ${report.added.length} added, ` +
    `${report.updated.length} updated, ${report.unchanged.length} unchanged.`,
);
if (report.added.length > 0) {
  console.log(`added: ${report.added.join(', ')}`);
}
if (report.updated.length > 0) {
  console.log(`updated: ${report.updated.join(', ')}`);
}
if (report.problems.length > 0) {
  console.log(`\nto complete by hand before npm run build (${report.problems.length}):`);
  for (const problem of report.problems) {
    console.log(`  - ${problem.message}`);
  }
}
