import * as schema from './schema';

export { createDatabase, type Database, type DatabaseOptions, type DbKind, MIGRATIONS_DIR, type Orm, type Schema } from './database';
export {
  createGitRepositories,
  type GitCredentialInfo,
  type GitCredentialInput,
  type GitCredentialKind,
  type GitCredentialRow,
  type GitRemoteRow,
  type GitRepositories,
} from './git-repositories';
export { createRepositories } from './repositories';
export type * from './types';
export { USER_ROLES, USER_STATUSES, type UserRole, type UserStatus, userAdditionalFields } from './user-fields';
export type * from './versions';
/** Drizzle tables, better-auth's included: `drizzleAdapter(db.orm, { provider: 'pg', schema })`. */
export { schema };
