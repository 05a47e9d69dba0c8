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
    const designer = designerPrompt({
      request,
      phaseInRound: i,
      phaseBudget,
      previousPhases: phases,
      existingFiles: [...files.keys()].sort(),
    });
    const design = parsePhaseSpec(offlineAnswer(designer.messages, designer.offlineContext));
    if (!design.ok) throw new Error(design.error);
    const spec = design.spec;
    phases.push(spec);
    const relevant = spec.files.flatMap((f) => {
      const content = files.get(f.path);
      return content === undefined ? [] : [{ path: f.path, content }];
    });
    const implementer = implementerPrompt({
      request,
      phaseInRound: i,
      spec,
      filesToWrite: spec.files.map((f) => f.path),
      existingFiles: [...files.keys()].sort(),
      relevant,
    });
    const answer = offlineAnswer(implementer.messages, implementer.offlineContext);
    for (const item of parseHeredoc(answer)) if (item.type === 'file_end') files.set(item.path, item.content);
    if (spec.lastPhase) break;
  }
  return phases;
}
