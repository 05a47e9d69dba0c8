import { LatheError } from '@lathe/protocol';

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Project ids name directories and containers, so they are kept to a safe alphabet. */
export function checkProjectId(id: string): void {
  if (typeof id !== 'string' || !PROJECT_ID.test(id)) {
    throw new LatheError('invalid_project_id', 'a project id is 1-64 letters, digits, "_" or "-", starting with a letter or digit');
  }
}
