import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readApis } from './apis.ts';

/** A service whose bundled document exists in generated/, and its catalog. */
export interface BuiltService {
  service: string;
  document: string;
  catalog: string;
}

/** The services `npm run build` produced a document for, in redocly.yaml's order. */
export function builtServices(root = '.'): BuiltService[] {
  return readApis(root)
    .map((api) => ({
      service: api.service,
      document: join(root, 'generated', api.service, 'openapi.yaml'),
      catalog: join(root, 'openapi', api.service, 'errors.yaml'),
    }))
    .filter((built) => existsSync(built.document));
}
