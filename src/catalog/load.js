// @ts-check
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkCatalog } from './check.js';

/** @typedef {import('./types.d.ts').Catalog} Catalog */
/** @typedef {import('./types.d.ts').CatalogProblem} CatalogProblem */

/** Thrown by loadCatalog when an errors.yaml breaks its schema or the catalog rules. */
export class CatalogError extends Error {
  /**
   * @param {string} file
   * @param {CatalogProblem[]} problems
   */
  constructor(file, problems) {
    super(`${file}:\n${problems.map((problem) => `  - ${problem.message}`).join('\n')}`);
    this.name = 'CatalogError';
    this.file = file;
    this.problems = problems;
  }
}

/**
 * Reads and checks one catalog file.
 * @param {string} file path to openapi/<service>/errors.yaml
 * @returns {Catalog}
 */
export function loadCatalog(file) {
  const catalog = parse(readFileSync(file, 'utf8'));
  const problems = checkCatalog(catalog);
  if (problems.length > 0) {
    throw new CatalogError(file, problems);
  }
  return catalog;
}
