import { type Static, Type } from '@sinclair/typebox';
import { LIMITS } from './limits';

/** REST shapes shared by apps/api (validation + OpenAPI) and apps/web. */
export const ProjectStatusSchema = Type.Union([
  Type.Literal('idle'),
  Type.Literal('generating'),
  Type.Literal('ready'),
  /** The last round finished with errors its review could not fix. */
  Type.Literal('problems'),
  Type.Literal('error'),
  Type.Literal('cancelled'),
]);
export type ProjectStatus = Static<typeof ProjectStatusSchema>;

export const ProjectSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  initialPrompt: Type.String(),
  template: Type.String(),
  status: ProjectStatusSchema,
  agentState: Type.String(),
  previewUrl: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type Project = Static<typeof ProjectSchema>;

export const CreateProjectBodySchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.projectNameChars })),
  prompt: Type.String({ minLength: 1, maxLength: LIMITS.promptChars }),
  /** Start generating right away (default true). */
  start: Type.Optional(Type.Boolean()),
});
export type CreateProjectBody = Static<typeof CreateProjectBodySchema>;

export const RenameProjectBodySchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: LIMITS.projectNameChars }) });

/** How a stored file's content holds its bytes: text, or a binary (an image, a font, ...) in base64. */
export const FileEncodingSchema = Type.Union([Type.Literal('utf8'), Type.Literal('base64')]);
export type FileEncoding = Static<typeof FileEncodingSchema>;

/** What a file operation (create, upload, move, delete) changed; also the `files_changed` event's payload. */
export const FilesChangedSchema = Type.Object({
  /** Paths created or replaced. */
  written: Type.Array(Type.String()),
  deleted: Type.Array(Type.String()),
  /** Each file a rename or move took elsewhere (a folder's: one entry per file). */
  moved: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })),
});
export type FilesChanged = Static<typeof FilesChangedSchema>;

export const CreateFileBodySchema = Type.Object({
  path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }),
  kind: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
  content: Type.Optional(Type.String()),
});
export type CreateFileBody = Static<typeof CreateFileBodySchema>;

export const UploadFileBodySchema = Type.Object({
  path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }),
  /** The file's bytes, base64. */
  content: Type.String({ contentEncoding: 'base64' }),
  /** Replace a file already at `path` (else 409). */
  overwrite: Type.Optional(Type.Boolean()),
});
export type UploadFileBody = Static<typeof UploadFileBodySchema>;

export const MoveFileBodySchema = Type.Object({
  from: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }),
  to: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }),
});
export type MoveFileBody = Static<typeof MoveFileBodySchema>;

export const FileEntrySchema = Type.Object({
  path: Type.String(),
  /** Bytes (of the decoded content for a binary). */
  size: Type.Integer({ minimum: 0 }),
  hash: Type.String(),
  encoding: FileEncodingSchema,
  phase: Type.Union([Type.Integer(), Type.Null()]),
  updatedAt: Type.String(),
});
export type FileEntry = Static<typeof FileEntrySchema>;

export const FileContentSchema = Type.Object({
  path: Type.String(),
  content: Type.String(),
  encoding: FileEncodingSchema,
  hash: Type.String(),
  updatedAt: Type.String(),
});
export type FileContent = Static<typeof FileContentSchema>;

export const WriteFileBodySchema = Type.Object({
  path: Type.String({ minLength: 1, maxLength: LIMITS.pathChars }),
  content: Type.String(),
});
export type WriteFileBody = Static<typeof WriteFileBodySchema>;

export const MessageSchema = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
  content: Type.String(),
  createdAt: Type.String(),
});
export type Message = Static<typeof MessageSchema>;

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  /** e.g. "sk-or-…a1b2": never the key itself. */
  masked: Type.String(),
  createdAt: Type.String(),
});
export type ApiKey = Static<typeof ApiKeySchema>;

export const AddApiKeyBodySchema = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 50 }),
  key: Type.String({ minLength: 8, maxLength: 500 }),
});

export const ModelsSchema = Type.Object({
  offline: Type.Boolean(),
  providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), baseUrl: Type.String(), configured: Type.Boolean() })),
  roles: Type.Object({ designer: Type.String(), implementer: Type.String(), fixer: Type.String() }),
  // What a role the user left unset uses, so clients can show the fallback next to the choice.
  defaults: Type.Object({ designer: Type.String(), implementer: Type.String(), fixer: Type.String() }),
  // The operator's allow-list when the server's key pays; null = any model (or the user's own key pays).
  allowedModels: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
export type Models = Static<typeof ModelsSchema>;

const ModelChoiceSchema = Type.Optional(
  Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: 'model name; null or absent = server default' }),
);

/** Replaces the user's per-role model choices as a whole. */
export const SetModelsBodySchema = Type.Object(
  { designer: ModelChoiceSchema, implementer: ModelChoiceSchema, fixer: ModelChoiceSchema },
  { additionalProperties: false },
);
export type SetModelsBody = Static<typeof SetModelsBodySchema>;

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  database: Type.Object({ kind: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]), ok: Type.Boolean() }),
  sandbox: Type.Object({ provider: Type.String(), ok: Type.Boolean() }),
  llm: Type.Object({ offline: Type.Boolean() }),
  version: Type.String(),
});
export type Health = Static<typeof HealthSchema>;

/** Tokens and cost summed over model calls (from the usage ledger). */
export const UsageTotalsSchema = Type.Object({
  calls: Type.Integer({ minimum: 0 }),
  promptTokens: Type.Integer({ minimum: 0 }),
  completionTokens: Type.Integer({ minimum: 0 }),
  cachedTokens: Type.Integer({ minimum: 0 }),
  /** Sum of the known costs in USD. */
  costUsd: Type.Number({ minimum: 0 }),
  /** Calls whose cost is unknown (no provider figure, no price for the model): costUsd leaves them out. */
  unpricedCalls: Type.Integer({ minimum: 0 }),
});
export type UsageTotals = Static<typeof UsageTotalsSchema>;

/** The signed-in user's tokens this calendar month (UTC) against the operator's budget. */
export const MonthlyUsageSchema = Type.Object({
  /** First instant of the month, ISO. */
  since: Type.String(),
  /** When the count starts again, ISO. */
  resetsAt: Type.String(),
  /** Prompt plus completion tokens this month. */
  tokens: Type.Integer({ minimum: 0 }),
  costUsd: Type.Number({ minimum: 0 }),
  /** Tokens per user per month; null = unlimited. */
  budget: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
});
export type MonthlyUsage = Static<typeof MonthlyUsageSchema>;

export const UserRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
export const UserStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('disabled')], {
  description: 'pending: waits for approval; only active accounts may sign in',
});

/** An account as the admin page lists it. */
export const AdminUserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: UserRoleSchema,
  status: UserStatusSchema,
  createdAt: Type.String({ format: 'date-time' }),
  projects: Type.Integer({ minimum: 0 }),
  /** Projects whose sandbox dev server runs now. */
  liveSandboxes: Type.Integer({ minimum: 0 }),
  /** UTF-8 bytes of the files of all its projects. */
  storageBytes: Type.Integer({ minimum: 0 }),
  /** Prompt + completion tokens this calendar month (UTC). */
  tokensThisMonth: Type.Integer({ minimum: 0 }),
  costUsdThisMonth: Type.Number({ minimum: 0 }),
});
export type AdminUser = Static<typeof AdminUserSchema>;

/** The server's limits per user, as the admin page shows them; null = unlimited. */
export const QuotasSchema = Type.Object({
  projects: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  liveSandboxes: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  storageBytes: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  monthlyTokens: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
});
export type Quotas = Static<typeof QuotasSchema>;

export const AdminUsersSchema = Type.Object({
  signup: Type.Union([Type.Literal('open'), Type.Literal('approval'), Type.Literal('closed')]),
  quotas: QuotasSchema,
  users: Type.Array(AdminUserSchema),
});
export type AdminUsers = Static<typeof AdminUsersSchema>;

/** Approve (status active), disable, or change the role of an account. */
export const UpdateUserBodySchema = Type.Object(
  { role: Type.Optional(UserRoleSchema), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBodySchema>;
