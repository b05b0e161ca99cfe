// "Try it": the panel, the trace view and the types of a dry-run's answer (the designer highlights the trace's path).
export { DryRunPanel, DryRunTrace, type DryRunPanelProps } from './DryRunPanel.tsx';
export type { DryRunResponse, DryRunResult, DryRunTraceEntry } from './dry-run-script.ts';
