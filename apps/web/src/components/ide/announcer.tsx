import type { AgentStateName, ErrorInfo } from '@lathe/protocol';
import type { PhaseView } from '../../lib/reducer';
import { stateText } from './chat-panel';

interface AnnouncementInput {
  agentState: AgentStateName;
  phases: readonly PhaseView[];
  /** The assistant's reply to the latest request, which sums up a finished round. */
  lastAssistantMessage: string | null;
  error: ErrorInfo | null;
}

/**
 * What a screen reader hears about the agent: the step it is on while it works, and the result once
 * it stops. It changes with the agent's state, never with file chunks, so a polite live region can
 * carry it without flooding the user.
 */
export function announcement({ agentState, phases, lastAssistantMessage, error }: AnnouncementInput): string {
  switch (agentState) {
    case 'IDLE':
      return '';
    case 'COMPLETE':
      return lastAssistantMessage ? `Build finished. ${lastAssistantMessage}` : 'Build finished.';
    case 'ERROR':
      return error ? `The build failed: ${error.message}` : 'The build failed.';
    case 'CANCELLED':
      return 'Stopped.';
    case 'DESIGNING_PHASE':
      return `${stateText(agentState)}…`;
    default: {
      // Phases are planned one at a time, so there is no total to announce.
      const current = phases.find((p) => p.current);
      const step = `${stateText(agentState)}…`;
      return current ? `Phase ${current.index + 1}, ${current.name}: ${step}` : step;
    }
  }
}

/** A polite live region: present (empty) from the start, so every later change is read out. */
export function Announcer({ text }: { text: string }) {
  return (
    <p role="status" aria-live="polite" aria-atomic="true" className="sr-only" data-testid="announcer">
      {text}
    </p>
  );
}
