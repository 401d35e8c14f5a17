import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Catalog } from '../catalog/types.d.ts';
import { diffService, type ServiceDiff, type Snapshot } from './diff.ts';
import { filesAt, readAt } from './git.ts';

const documentFile = (service: string) => `generated/${service}/openapi.yaml`;
const catalogFile = (service: string) => `openapi/${service}/errors.yaml`;
const contractFile = /^(?:generated\/([^/]+)\/openapi\.yaml|openapi\/([^/]+)\/errors\.yaml)$/;

/** A snapshot from a reader of files by path; a file it cannot read is absent. */
function snapshot(service: string, read: (path: string) => string | undefined): Snapshot {
  const [document, catalog] = [read(documentFile(service)), read(catalogFile(service))];
  return {
    document: document === undefined ? undefined : parse(document),
    catalog: catalog === undefined ? undefined : (parse(catalog) as Catalog),
  };
}

/**
 * Every service's catalog and bundled document in the working tree, compared with those at
 * `ref` (read with `git show`). A service or a file absent at `ref` is all added; one gone from
 * the working tree all removed.
 */
export function diffWorkingTree(root: string, ref: string): ServiceDiff[] {
  const atRef = new Set(filesAt(root, ref, ['generated', 'openapi']));
  const here = new Set(
    ['generated', 'openapi']
      .filter((folder) => existsSync(join(root, folder)))
      .flatMap((folder) => readdirSync(join(root, folder)))
      .flatMap((service) => [documentFile(service), catalogFile(service)])
      .filter((file) => existsSync(join(root, file))),
  );
  const services = [...atRef, ...here]
    .map((file) => contractFile.exec(file))
    .flatMap((match) => (match ? [match[1] ?? match[2] ?? ''] : []));
  return [...new Set(services)].sort().map((service) =>
    diffService(
      service,
      snapshot(service, (file) => (atRef.has(file) ? readAt(root, ref, file) : undefined)),
      snapshot(service, (file) =>
        here.has(file) ? readFileSync(join(root, file), 'utf8') : undefined,
      ),
    ),
  );
}
