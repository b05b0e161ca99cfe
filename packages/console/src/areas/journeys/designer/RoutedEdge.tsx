// An arrow along the route ELK computed (graph-layout.ts): orthogonal, around the nodes, its label on a stretch of
// its own. Without a route (nodes placed by hand, or the layout not done yet) it is React Flow's curve, except an
// arrow back to a step on its left (a retry), which goes over every step between them rather than through them.
import { BaseEdge, getBezierPath, useStore, type Edge, type EdgeProps } from '@xyflow/react';
import type { Point } from './graph-layout.ts';

/** How far a hand-placed retry arrow keeps from the steps it goes round. */
const BACK_EDGE_CLEARANCE = 24;

export type RoutedEdgeData = { route?: Point[] | undefined; label?: Point | undefined };
export type RoutedEdgeType = Edge<RoutedEdgeData, 'routed'>;

/**
 * The route, pinned to the handles as drawn: ELK's ends are the handles' computed places, the drawn ones may sit a
 * pixel or two off; the first and last stretches are horizontal, so moving an end moves its neighbouring bend with it.
 */
function pinned(route: Point[], source: Point, target: Point): Point[] {
  const points = route.map((p) => ({ ...p }));
  const first = points[0]!;
  const last = points.at(-1)!;
  if (points.length > 2 && points[1]!.y === first.y) points[1]!.y = source.y;
  if (points.length > 2 && points.at(-2)!.y === last.y) points.at(-2)!.y = target.y;
  points[0] = source;
  points[points.length - 1] = target;
  return points;
}

/**
 * The middle of the longest level stretch (else of the longest one): a label reads along it, clear of the nodes a
 * vertical stretch runs beside, and easy to tell apart from its neighbours'.
 */
function labelPoint(points: Point[]): Point {
  let best = { score: -1, x: points[0]!.x, y: points[0]!.y };
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const level = Math.abs(b.y - a.y) < 1;
    const score = Math.abs(b.x - a.x) + Math.abs(b.y - a.y) + (level ? 100_000 : 0);
    if (score > best.score) best = { score, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  return best;
}

export function RoutedEdge(props: EdgeProps<RoutedEdgeType>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, label, markerEnd, style, interactionWidth } = props;
  const route = data?.route;
  const back = (!route || route.length < 2) && targetX < sourceX;
  // The top of the highest step between the target's left and the source's right (only a back arrow needs it).
  const highest = useStore((state) => {
    if (!back) return 0;
    let top = Math.min(sourceY, targetY);
    for (const node of state.nodeLookup.values()) {
      const { x, y } = node.internals.positionAbsolute;
      if (x + (node.measured.width ?? 0) >= targetX && x <= sourceX) top = Math.min(top, y);
    }
    return top;
  });
  if (back) {
    // Over the steps, out to the right of the source and in from the left of the target.
    const top = highest - BACK_EDGE_CLEARANCE;
    const points = [
      { x: sourceX, y: sourceY },
      { x: sourceX + BACK_EDGE_CLEARANCE, y: sourceY },
      { x: sourceX + BACK_EDGE_CLEARANCE, y: top },
      { x: targetX - BACK_EDGE_CLEARANCE, y: top },
      { x: targetX - BACK_EDGE_CLEARANCE, y: targetY },
      { x: targetX, y: targetY },
    ];
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
    return (
      <BaseEdge
        path={path}
        labelX={(sourceX + targetX) / 2}
        labelY={top}
        label={label}
        markerEnd={markerEnd}
        style={style}
        interactionWidth={interactionWidth}
      />
    );
  }
  if (!route || route.length < 2) {
    const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
    return <BaseEdge path={path} labelX={labelX} labelY={labelY} label={label} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />;
  }
  const points = pinned(route, { x: sourceX, y: sourceY }, { x: targetX, y: targetY });
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  // The layout's place for the label (clear of other arrows' stretches), on the route as pinned.
  const at = data?.label
    ? { x: data.label.x, y: Math.abs(data.label.y - route[0]!.y) < 0.5 ? sourceY : Math.abs(data.label.y - route.at(-1)!.y) < 0.5 ? targetY : data.label.y }
    : labelPoint(points);
  return <BaseEdge path={path} labelX={at.x} labelY={at.y} label={label} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />;
}
