import type { ErrorInfo } from '@lathe/protocol';
import { useEffect, useReducer, useRef, useState } from 'react';
import { initialStreamState, type StreamAction, type StreamState, streamReducer } from './reducer';
import { ProjectSocket, type SocketStatus } from './socket';

export interface ProjectStream {
  state: StreamState;
  status: SocketStatus;
  /** The first snapshot's seq: files written after it are "new" or "changed" in this session. */
  baselineSeq: number | null;
  frameError: ErrorInfo | null;
}

/** Subscribes to a project's WebSocket and folds its frames, one render per animation frame. */
export function useProjectStream(projectId: string): ProjectStream {
  const [state, dispatch] = useReducer(streamReducer, initialStreamState);
  const [status, setStatus] = useState<SocketStatus>('connecting');
  const [baselineSeq, setBaselineSeq] = useState<number | null>(null);
  const [frameError, setFrameError] = useState<ErrorInfo | null>(null);
  const lastSeq = useRef(0);

  useEffect(() => {
    let queue: StreamAction[] = [];
    let raf = 0;
    let baselineSet = false;
    lastSeq.current = 0;
    const flush = () => {
      raf = 0;
      const actions = queue;
      queue = [];
      dispatch({ type: 'batch', actions });
    };
    const ps = new ProjectSocket({
      projectId,
      lastSeq: () => lastSeq.current,
      onStatus: setStatus,
      onInvalidFrame: (error) => setFrameError({ code: 'invalid_frame', message: error }),
      onFrame: (frame) => {
        if (frame.frame === 'error') {
          setFrameError(frame.error);
          return;
        }
        if (frame.frame === 'resume_hint') return;
        if (frame.frame === 'snapshot' && !baselineSet) {
          baselineSet = true;
          setBaselineSeq(frame.snapshot.lastSeq);
        }
        if (frame.frame === 'event') lastSeq.current = Math.max(lastSeq.current, frame.event.seq);
        queue.push(frame.frame === 'event' ? { type: 'event', event: frame.event } : { type: 'snapshot', snapshot: frame.snapshot });
        if (!raf) raf = requestAnimationFrame(flush);
      },
    });
    ps.start();
    return () => {
      ps.stop();
      if (raf) cancelAnimationFrame(raf);
    };
  }, [projectId]);

  return { state, status, baselineSeq, frameError };
}
