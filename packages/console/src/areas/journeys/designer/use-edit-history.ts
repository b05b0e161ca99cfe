// Undo/redo over whole documents. Consecutive edits of one field (same `group`) are one step, so Ctrl+Z undoes a
// typed word, not a character.
import { useCallback, useState } from 'react';

interface History<T> {
  past: T[];
  present: T;
  future: T[];
  group: string | undefined;
}

const LIMIT = 200;

export interface EditHistory<T> {
  present: T;
  canUndo: boolean;
  canRedo: boolean;
  apply(next: T, group?: string): void;
  /** Starts over from `value` with no history (a load from the server). */
  reset(value: T): void;
  undo(): void;
  redo(): void;
}

export function useEditHistory<T>(initial: T): EditHistory<T> {
  const [state, setState] = useState<History<T>>({ past: [], present: initial, future: [], group: undefined });
  const apply = useCallback((next: T, group?: string) => {
    setState((s) => {
      if (next === s.present) return s;
      if (group !== undefined && group === s.group) return { ...s, present: next, future: [] };
      return { past: [...s.past, s.present].slice(-LIMIT), present: next, future: [], group };
    });
  }, []);
  const reset = useCallback((value: T) => setState({ past: [], present: value, future: [], group: undefined }), []);
  const undo = useCallback(() => {
    setState((s) => (s.past.length === 0 ? s : { past: s.past.slice(0, -1), present: s.past.at(-1)!, future: [s.present, ...s.future], group: undefined }));
  }, []);
  const redo = useCallback(() => {
    setState((s) => (s.future.length === 0 ? s : { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1), group: undefined }));
  }, []);
  return { present: state.present, canUndo: state.past.length > 0, canRedo: state.future.length > 0, apply, reset, undo, redo };
}
