import type { PhaseSpec } from '@lathe/protocol';
import { offlineAnswer } from '../../src/offline/respond';
import { designerPrompt, parsePhaseSpec } from '../../src/operations/design';
import { applyEdit } from '../../src/operations/edits';
import { implementerPrompt } from '../../src/operations/implement';
import type { RoundRequest } from '../../src/operations/shared';
import { parseHeredoc } from '../../src/parser';

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
      files: stored(files),
      blueprint: null,
      earlierRounds: null,
      userEdits: null,
    });
    const design = parsePhaseSpec(offlineAnswer(designer.messages, designer.offlineContext));
    if (!design.ok) throw new Error(design.error);
    const spec = design.spec;
    phases.push(spec);
    const implementer = implementerPrompt({
      request,
      phaseInRound: i,
      spec,
      filesToWrite: spec.files.map((f) => f.path),
      problems: [],
      files: stored(files),
      blueprint: null,
      userEdits: null,
      budgetTokens: 1_000_000,
    });
    const answer = offlineAnswer(implementer.messages, implementer.offlineContext);
    for (const item of parseHeredoc(answer)) {
      if (item.type === 'file_end') files.set(item.path, item.content);
      if (item.type === 'edit') {
        const edited = applyEdit(item.path, files.get(item.path) ?? null, item.search, item.replace);
        if (!edited.ok) throw new Error(edited.reason);
        files.set(item.path, edited.content);
      }
    }
    if (spec.lastPhase) break;
  }
  return phases;
}

function stored(files: Map<string, string>): { path: string; content: string }[] {
  return [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, content]) => ({ path, content }));
}
