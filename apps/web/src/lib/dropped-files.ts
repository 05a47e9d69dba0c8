/**
 * Files dropped from the desktop, folders included: a dropped folder uploads its files under its
 * own name, as a file manager would copy it.
 */

/** A file to upload and its path relative to the folder it was dropped into. */
export interface DroppedFile {
  file: File;
  path: string;
}

/** What a drop gave beside its files: entries left out, with why. */
export interface DropResult {
  files: DroppedFile[];
  skipped: string[];
}

/** The File System Entries API as a drop hands it out (`webkitGetAsEntry`), reduced to what a walk needs. */
export interface DropEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}
interface FileDropEntry extends DropEntry {
  file(onFile: (file: File) => void, onError: (error: unknown) => void): void;
}
interface FolderDropEntry extends DropEntry {
  createReader(): { readEntries(onEntries: (entries: DropEntry[]) => void, onError: (error: unknown) => void): void };
}

/** At most this many files from one drop: a dropped home folder should not start thousands of uploads. */
export const MAX_DROPPED_FILES = 500;
/** Folders never uploaded (installed packages, git's own data): the path rules would refuse them anyway. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

const isFileEntry = (e: DropEntry): e is FileDropEntry => e.isFile;
const isFolderEntry = (e: DropEntry): e is FolderDropEntry => e.isDirectory;

/** A folder's entries (the reader hands them out in batches until an empty one). */
async function entriesOf(folder: FolderDropEntry): Promise<DropEntry[]> {
  const reader = folder.createReader();
  const all: DropEntry[] = [];
  for (;;) {
    const batch = await new Promise<DropEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** The files under `entries`, depth first, with their relative paths; never rejects. */
export async function walkEntries(entries: readonly DropEntry[], limit = MAX_DROPPED_FILES): Promise<DropResult> {
  const result: DropResult = { files: [], skipped: [] };
  const visit = async (entry: DropEntry, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (isFolderEntry(entry)) {
      if (SKIPPED_FOLDERS.has(entry.name)) {
        result.skipped.push(`${path}/`);
        return;
      }
      const children = await entriesOf(entry);
      for (const child of children.sort((a, b) => a.name.localeCompare(b.name))) await visit(child, path);
    } else if (isFileEntry(entry)) {
      if (result.files.length >= limit) {
        result.skipped.push(path);
        return;
      }
      result.files.push({ file: await new Promise<File>((resolve, reject) => entry.file(resolve, reject)), path });
    }
  };
  for (const entry of entries) {
    // An entry the browser cannot read (removed meanwhile, no permission) is named, not fatal.
    await visit(entry, '').catch(() => result.skipped.push(entry.name));
  }
  return result;
}

/**
 * The files a drop carries (never rejects). Call it inside the drop handler: the browser hands out the entries
 * only while the event is dispatched (the walk itself may finish later).
 */
export function droppedFiles(data: DataTransfer): Promise<DropResult> {
  const entries = [...data.items]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null)
    .filter((e): e is FileSystemEntry => e !== null);
  // Browsers without entries (or a drop that has none) still give the plain files.
  if (entries.length === 0) return Promise.resolve({ files: [...data.files].map((file) => ({ file, path: file.name })), skipped: [] });
  return walkEntries(entries);
}
