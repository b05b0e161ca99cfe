// Automatic layout of the journey graph with ELK's layered algorithm (left to right, outcomes in their declared
// order), so every journey, imported or drawn, reads the same way until the operator places nodes by hand. ELK also
// routes the arrows (orthogonal, around the nodes, from each outcome's row to the target's left side), so that an
// arrow back to an earlier step (a retry) does not cross the nodes in between.
import type { ELK, ElkExtendedEdge } from 'elkjs/lib/elk-api.js';

export const NODE_WIDTH = 240;
const HEADER_HEIGHT = 62;
const OUTCOME_ROW_HEIGHT = 26;

export function nodeHeight(outcomes: number): number {
  return HEADER_HEIGHT + Math.max(outcomes, 0) * OUTCOME_ROW_HEIGHT + 8;
}

export interface LayoutInput {
  nodes: { id: string; outcomes: string[] }[];
  edges: { id: string; source: string; sourceHandle: string; target: string }[];
}

export interface Point {
  x: number;
  y: number;
}

export interface Layout {
  positions: Map<string, Point>;
  /** Each arrow's route (its start, bends and end), by edge id. */
  routes: Map<string, Point[]>;
}

/** Where an outcome's handle sits on a node: its row's middle on the right edge (the node's CSS: header, then 26 px rows). */
function outcomePort(index: number): Point {
  return { x: NODE_WIDTH, y: HEADER_HEIGHT + index * OUTCOME_ROW_HEIGHT + OUTCOME_ROW_HEIGHT / 2 };
}
const port = (node: string, name: string) => `${node}\u0000${name}`;
const INPUT = '\u0001in';

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

export async function layoutGraph(input: LayoutInput): Promise<Layout> {
  const ids = new Set(input.nodes.map((n) => n.id));
  const graph = await (
    await loadElk()
  ).layout({
    id: 'journey',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      // Room between the layers for an arrow's bend and its outcome's label.
      'elk.layered.spacing.nodeNodeBetweenLayers': '120',
      'elk.spacing.nodeNode': '40',
      'elk.spacing.edgeNode': '24',
      'elk.spacing.edgeEdge': '14',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
      'elk.edgeRouting': 'ORTHOGONAL',
    },
    children: input.nodes.map((n) => {
      const height = nodeHeight(n.outcomes.length);
      return {
        id: n.id,
        width: NODE_WIDTH,
        height,
        // The handles are where the node draws them: each outcome on its row, the way in at the left middle.
        layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
        ports: [
          { id: port(n.id, INPUT), x: 0, y: height / 2, width: 0, height: 0, layoutOptions: { 'elk.port.side': 'WEST' } },
          ...n.outcomes.map((outcome, i) => ({ id: port(n.id, outcome), ...outcomePort(i), width: 0, height: 0, layoutOptions: { 'elk.port.side': 'EAST' } })),
        ],
      };
    }),
    edges: input.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, sources: [port(e.source, e.sourceHandle)], targets: [port(e.target, INPUT)] })),
  });
  const routes = new Map<string, Point[]>();
  for (const edge of (graph.edges ?? []) as ElkExtendedEdge[]) {
    const section = edge.sections?.[0];
    if (section) routes.set(edge.id, [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]);
  }
  return { positions: new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }])), routes };
}
