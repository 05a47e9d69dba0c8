import { type Static, Type } from '@sinclair/typebox';
import { FileEncodingSchema } from './rest';

/**
 * Version history (REST shapes and the `version_created` event's payload). A version is the
 * project's whole file set at one moment: after a phase, after a burst of user edits, after a
 * restore, or just before a restore (a checkpoint of what the restore replaced).
 */
export const VersionKindSchema = Type.Union([
  Type.Literal('phase'),
  Type.Literal('edit'),
  Type.Literal('restore'),
  Type.Literal('checkpoint'),
]);
export type VersionKindName = Static<typeof VersionKindSchema>;

export const VersionChangesSchema = Type.Object({
  added: Type.Array(Type.String()),
  modified: Type.Array(Type.String()),
  deleted: Type.Array(Type.String()),
});

export const VersionSchema = Type.Object({
  /** 1, 2, … per project, in the order versions were made. */
  seq: Type.Integer({ minimum: 1 }),
  kind: VersionKindSchema,
  /** The phase's name, "Edited src/App.tsx", "Restored version 3", … */
  label: Type.String(),
  round: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  phaseIndex: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  restoredFrom: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** SHA-256 over the sorted (path, content hash) list: equal trees, equal files. */
  treeHash: Type.String(),
  fileCount: Type.Integer({ minimum: 0 }),
  totalBytes: Type.Integer({ minimum: 0 }),
  /** Against the version before it. */
  changes: VersionChangesSchema,
  createdAt: Type.String(),
  /** Later than createdAt for an edit burst that went on. */
  updatedAt: Type.String(),
});
export type Version = Static<typeof VersionSchema>;

/** One file of a version, compared with the project's current files. */
export const VersionFileSchema = Type.Object({
  path: Type.String(),
  /** SHA-256 of the content in the version (null: the file exists only now). */
  hash: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /**
   * `unchanged` and `modified`: in both; `deleted`: in the version, gone now (a restore brings it
   * back); `added`: only now (a restore deletes it).
   */
  status: Type.Union([Type.Literal('unchanged'), Type.Literal('modified'), Type.Literal('deleted'), Type.Literal('added')]),
});
export type VersionFile = Static<typeof VersionFileSchema>;

export const VersionDetailSchema = Type.Object({
  version: VersionSchema,
  files: Type.Array(VersionFileSchema),
});
export type VersionDetail = Static<typeof VersionDetailSchema>;

export const VersionFileContentSchema = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  path: Type.String(),
  content: Type.String(),
  encoding: FileEncodingSchema,
  hash: Type.String(),
});
export type VersionFileContent = Static<typeof VersionFileContentSchema>;

export const RestoreResultSchema = Type.Object({
  /** The new version the restore made. */
  version: VersionSchema,
  /** Files written back (changed or missing before the restore). */
  written: Type.Array(Type.String()),
  /** Files removed because the restored version did not have them. */
  deleted: Type.Array(Type.String()),
});
export type RestoreResult = Static<typeof RestoreResultSchema>;
