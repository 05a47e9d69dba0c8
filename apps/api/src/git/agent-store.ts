import type { AgentStore } from '@lathe/agent';
import type { ProjectRow } from '@lathe/db';
import type { Log } from '../context';
import type { GitService } from './service';

/**
 * The agent's store, committing each saved phase snapshot as "Phase N: <name>". A failed commit
 * is logged and never stops the generation.
 */
export function withGitCommits(store: AgentStore, git: GitService, project: Pick<ProjectRow, 'id' | 'ownerId'>, log: Log): AgentStore {
  return {
    ...store,
    async savePhaseSnapshot(projectId, round, phaseIndex, files) {
      await store.savePhaseSnapshot(projectId, round, phaseIndex, files);
      try {
        const state = await store.loadState(projectId);
        const name = state?.snapshot.phases.find((p) => p.index === phaseIndex)?.spec?.name;
        const message = `Phase ${phaseIndex + 1}${name ? `: ${name}` : ''}`;
        await git.commitVersion(projectId, files, message, await git.authorOf(project));
      } catch (e) {
        log(`git commit of ${projectId} (phase ${phaseIndex + 1}) failed: ${(e as Error).message}`);
      }
    },
  };
}
