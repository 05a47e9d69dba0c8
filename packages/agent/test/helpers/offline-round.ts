import type { PhaseSpec } from '@lathe/protocol';
import { offlineAnswer } from '../../src/offline/respond';
import { parseHeredoc } from '../../src/parser';
import { designerPrompt, implementerPrompt, parsePhaseSpec, type RoundRequest } from '../../src/prompts';

/**
 * Runs one round of the offline model's prompts in memory (no HTTP, no sandbox), applying the
 * written files to `files`. Returns the phases it designed.
 */
export function offlineRound(files: Map<string, string>, request: RoundRequest, phaseBudget = 6): PhaseSpec[] {
  const phases: PhaseSpec[] = [];
  for (let i = 0; i < phaseBudget; i++) {
    const design = parsePhaseSpec(
      offlineAnswer(
        designerPrompt({ request, phaseInRound: i, phaseBudget, previousPhases: phases, existingFiles: [...files.keys()].sort() }),
      ),
    );
    if (!design.ok) throw new Error(design.error);
    const spec = design.spec;
    phases.push(spec);
    const relevant = spec.files.flatMap((f) => {
      const content = files.get(f.path);
      return content === undefined ? [] : [{ path: f.path, content }];
    });
    const answer = offlineAnswer(
      implementerPrompt({
        request,
        phaseInRound: i,
        spec,
        filesToWrite: spec.files.map((f) => f.path),
        existingFiles: [...files.keys()].sort(),
        relevant,
      }),
    );
    for (const item of parseHeredoc(answer)) if (item.type === 'file_end') files.set(item.path, item.content);
    if (spec.lastPhase) break;
  }
  return phases;
}
