// Automatic layout of the journey graph with ELK's layered algorithm (left to right, outcomes in their declared
// order), so no position is stored in the definition and every journey, imported or drawn, reads the same way.
import type { ELK } from 'elkjs/lib/elk-api.js';

export const NODE_WIDTH = 240;
const HEADER_HEIGHT = 62;
const OUTCOME_ROW_HEIGHT = 26;

export function nodeHeight(outcomes: number): number {
  return HEADER_HEIGHT + Math.max(outcomes, 0) * OUTCOME_ROW_HEIGHT + 8;
}

export interface LayoutInput {
  nodes: { id: string; outcomes: number }[];
  edges: { id: string; source: string; target: string }[];
}

let elk: Promise<ELK> | undefined;

/**
 * ELK (1.6 MB: its own chunk, fetched when the first graph is laid out). The bundle runs the layout in-thread, so
 * there is no worker file to serve; it is CommonJS whose module.exports is the constructor (also as `.default`),
 * while its type declarations describe the ES namespace.
 */
function loadElk(): Promise<ELK> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((module) => {
    const exported = module as unknown as { default?: unknown };
    const Constructor = ((exported.default as { default?: unknown } | undefined)?.default ?? exported.default ?? exported) as new () => ELK;
    return new Constructor();
  });
  return elk;
}

export async function layoutGraph(input: LayoutInput): Promise<Map<string, { x: number; y: number }>> {
  const ids = new Set(input.nodes.map((n) => n.id));
  const graph = await (
    await loadElk()
  ).layout({
    id: 'journey',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
    },
    children: input.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: nodeHeight(n.outcomes) })),
    edges: input.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  return new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
}
