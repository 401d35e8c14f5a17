// npm run db:migrate: brings the database of every service to its latest schema, as each does
// when it starts (DATABASE_URL for PostgreSQL, else the SQLite files under DATA_DIR), for a
// deployment that migrates before it starts or rolls out several instances.
import { redactedLocation } from '../src/platform/db.ts';
import { serviceModules } from '../src/services.ts';

for (const module of serviceModules) {
  if (!module.migrate) {
    continue;
  }
  const settings = module.settings(process.env);
  await module.migrate(settings);
  const { database } = settings as { database?: string };
  console.log(`${module.name}: migrated${database ? ` (${redactedLocation(database)})` : ''}`);
}
