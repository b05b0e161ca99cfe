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
  /** Where each arrow's outcome label goes (its centre). */
  labels: Map<string, Point>;
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
  return {
    positions: new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }])),
    routes,
    labels: labelPlaces(routes, new Map(input.edges.map((e) => [e.id, labelWidth(e.sourceHandle)]))),
  };
}

interface Stretch {
  y: number;
  from: number;
  to: number;
}

/** An arrow's level stretches (where a label reads along it), left to right. */
function levelStretches(route: Point[]): Stretch[] {
  const stretches: Stretch[] = [];
  for (let i = 1; i < route.length; i++) {
    const a = route[i - 1]!;
    const b = route[i]!;
    if (Math.abs(a.y - b.y) < 0.5 && Math.abs(a.x - b.x) > 0.5) stretches.push({ y: a.y, from: Math.min(a.x, b.x), to: Math.max(a.x, b.x) });
  }
  return stretches;
}

/** A label's width as the canvas draws it (11 px text, bold on a run's path, with padding): a generous estimate. */
export function labelWidth(text: string): number {
  return Math.ceil(text.length * 6.8) + 10;
}

/**
 * Where each arrow's label goes: the middle of the longest part of a level stretch that no other arrow runs along
 * (arrows into one step share their last stretches, and labels there would cover each other), if the label fits
 * there; else just after the handle it leaves by (each outcome has its own row, so such labels never meet).
 */
export function labelPlaces(routes: ReadonlyMap<string, Point[]>, widths: ReadonlyMap<string, number> = new Map()): Map<string, Point> {
  const all = [...routes].map(([id, route]) => ({ id, stretches: levelStretches(route) }));
  const places = new Map<string, Point>();
  for (const { id, stretches } of all) {
    const others = all.filter((other) => other.id !== id).flatMap((other) => other.stretches);
    let best: { length: number; at: Point } | undefined;
    for (const stretch of stretches) {
      // The free parts: the stretch minus every other arrow's stretch on the same line.
      let free: [number, number][] = [[stretch.from, stretch.to]];
      for (const other of others) {
        if (Math.abs(other.y - stretch.y) >= 0.5) continue;
        free = free.flatMap(([from, to]) =>
          [
            [from, Math.min(to, other.from)],
            [Math.max(from, other.to), to],
          ].filter(([a, b]) => b! - a! > 0.5),
        ) as [number, number][];
      }
      for (const [from, to] of free) if (!best || to - from > best.length) best = { length: to - from, at: { x: (from + to) / 2, y: stretch.y } };
    }
    const width = widths.get(id) ?? 0;
    if (!best || best.length < width + 8) {
      const start = routes.get(id)![0]!;
      best = { length: 0, at: { x: start.x + width / 2 + 8, y: start.y } };
    }
    places.set(id, best.at);
  }
  return places;
}
