/** What an account may do: the first account is the admin; admins manage the others. */
export type UserRole = 'admin' | 'user';
/** `pending`: signed up, waiting for an admin's approval; `disabled`: refused by an admin. Only `active` accounts sign in. */
export type UserStatus = 'pending' | 'active' | 'disabled';

export const USER_ROLES: readonly UserRole[] = ['admin', 'user'];
export const USER_STATUSES: readonly UserStatus[] = ['pending', 'active', 'disabled'];

/**
 * Lathe's columns on better-auth's `user` table, in better-auth's `user.additionalFields` form.
 * `input: false`: nobody can set them through sign-up or update-user; the API's hooks and the
 * admin routes decide them. Shared by the real auth instance and the schema generator's config.
 */
export const userAdditionalFields = {
  role: { type: 'string', required: true, defaultValue: 'user', input: false },
  status: { type: 'string', required: true, defaultValue: 'active', input: false },
} as const;
