import * as schema from './schema';

export { createDatabase, type Database, type DatabaseOptions, type DbKind, MIGRATIONS_DIR, type Orm, type Schema } from './database';
export { createRepositories } from './repositories';
export type * from './types';
/** Drizzle tables, better-auth's included: `drizzleAdapter(db.orm, { provider: 'pg', schema })`. */
export { schema };
