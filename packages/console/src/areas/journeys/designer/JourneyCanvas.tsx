// The journey as a graph: a node per step (its title, id and type, its problems), a handle per outcome on the
// node's right edge, an arrow per wired outcome. Dragging from an outcome's handle to a step wires it; a step is
// selected by click or, with the keyboard, by Tab and Enter. Where the definition stores node positions
// (`ui.positions`) they are used, else ELK lays the graph out; with `onPlace` nodes can be dragged (or moved with the
// arrow keys once selected). Used by the designer, the version diff, and (through
// `trace`) by whoever wants to show the path a run took.
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './designer.css';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { useT } from '../../../i18n/i18n.tsx';
import type { StepChange } from './definition-diff.ts';
import { layoutGraph, NODE_WIDTH, nodeHeight, type Point } from './graph-layout.ts';
import { RoutedEdge, type RoutedEdgeType } from './RoutedEdge.tsx';
import { outcomesOf, type JourneyDefinition, type NodePosition, type StepDefinition, type StepTypeInfo } from './journey-model.ts';

/** One step of a run's path and the outcome it left by (none for the last one). */
export interface TraceEntry {
  stepId: string;
  outcome?: string;
}

export interface StepProblems {
  errors: number;
  warnings: number;
}

export interface JourneyCanvasProps {
  definition: JourneyDefinition;
  stepTypes: ReadonlyMap<string, StepTypeInfo>;
  /** Accessible name of the canvas. */
  label: string;
  selectedStepId?: string | undefined;
  onSelect?(stepId: string | undefined): void;
  /** Drawing an arrow from an outcome to a step; without it the canvas is read-only. */
  onConnect?(stepId: string, outcome: string, target: string): void;
  problems?: ReadonlyMap<string, StepProblems>;
  /** The path a run took: its steps and the outcomes between them are highlighted, numbered in order. */
  trace?: TraceEntry[];
  /** Per step: added, removed or changed since another version (the visual diff). */
  changes?: ReadonlyMap<string, StepChange>;
  /** The smallest zoom fitting the graph may use (default: still readable; a larger graph is panned instead). */
  fitMinZoom?: number;
  /** A node was moved: every node's position as now shown; `group` is the same for consecutive moves of one node. Without it nodes stay put. */
  onPlace?(positions: ReadonlyMap<string, NodePosition>, group: string): void;
  /** Changing it lays the graph out and fits it again (e.g. after "Auto layout"). */
  layoutKey?: number;
}

interface StepNodeData extends Record<string, unknown> {
  step: StepDefinition;
  typeTitle: string;
  outcomes: string[];
  isStart: boolean;
  problems: StepProblems | undefined;
  change: StepChange | undefined;
  traceNumbers: number[];
  connectable: boolean;
}

type StepNode = Node<StepNodeData, 'step'>;

const StepNodeView = memo(function StepNodeView({ data }: NodeProps<StepNode>) {
  const t = useT();
  const { step, problems, change, traceNumbers } = data;
  const classes = [
    'designer-node',
    problems?.errors ? 'has-errors' : problems?.warnings ? 'has-warnings' : '',
    change ? `is-${change}` : '',
    traceNumbers.length > 0 ? 'is-traced' : '',
  ].join(' ');
  return (
    <div className={classes} style={{ width: NODE_WIDTH, minHeight: nodeHeight(data.outcomes.length) }} data-step-id={step.id}>
      <Handle type="target" position={Position.Left} isConnectable={data.connectable} />
      <div className="designer-node-header">
        <span className="designer-node-title">{step.title || data.typeTitle}</span>
        <span className="designer-node-id mono">{step.id}</span>
        <span className="designer-node-type">
          {data.typeTitle}
          {data.isStart ? <span className="designer-badge">{t('designer.start')}</span> : null}
          {change ? <span className={`designer-badge designer-badge-${change}`}>{t(`designer.change.${change}`)}</span> : null}
          {problems?.errors ? <span className="designer-badge designer-badge-error">{t('designer.errors', { count: problems.errors })}</span> : null}
          {!problems?.errors && problems?.warnings ? (
            <span className="designer-badge designer-badge-warning">{t('designer.warnings', { count: problems.warnings })}</span>
          ) : null}
          {traceNumbers.length > 0 ? <span className="designer-badge designer-badge-trace">#{traceNumbers.join(', #')}</span> : null}
        </span>
      </div>
      <ul className="designer-node-outcomes" aria-label={t('designer.outcomes')}>
        {data.outcomes.map((outcome) => (
          <li key={outcome} className={step.outcomes?.[outcome] ? 'is-wired' : 'is-unwired'}>
            <span>{outcome}</span>
            <Handle type="source" position={Position.Right} id={outcome} isConnectable={data.connectable} title={outcome} />
          </li>
        ))}
      </ul>
    </div>
  );
});

const nodeTypes = { step: StepNodeView };
const edgeTypes = { routed: RoutedEdge };
/** Below this a fitted graph's labels are too small to read; a larger graph is panned instead. */
const MIN_FIT_ZOOM = 0.55;

function CanvasGraph(props: JourneyCanvasProps) {
  const { definition, stepTypes, selectedStepId, onSelect, onConnect, onPlace, problems, trace, changes, label, fitMinZoom = MIN_FIT_ZOOM, layoutKey } = props;
  const t = useT();
  const { fitView, getViewport, setViewport } = useReactFlow();
  const [positions, setPositions] = useState<Map<string, NodePosition>>(new Map());
  const [routes, setRoutes] = useState<{ routes: Map<string, Point[]>; labels: Map<string, Point> }>({ routes: new Map(), labels: new Map() });
  // Where nodes being dragged are right now (the definition changes once, when they are dropped).
  const [dragged, setDragged] = useState<ReadonlyMap<string, NodePosition>>(new Map());
  const stored = definition.ui?.positions;

  const edges = useMemo<RoutedEdgeType[]>(() => {
    const ids = new Set(definition.steps.map((s) => s.id));
    const traced = new Set((trace ?? []).filter((e) => e.outcome !== undefined).map((e) => `${e.stepId}\u0000${e.outcome}`));
    return definition.steps.flatMap((step) =>
      Object.entries(step.outcomes ?? {})
        .filter(([, target]) => ids.has(target))
        .map(([outcome, target]) => {
          const isTraced = traced.has(`${step.id}\u0000${outcome}`);
          return {
            id: `${step.id}\u0000${outcome}`,
            type: 'routed',
            // ELK's route fits ELK's positions only: with nodes placed by hand (or moving) the arrow is a curve.
            data:
              stored || dragged.size > 0
                ? {}
                : { route: routes.routes.get(`${step.id}\u0000${outcome}`), label: routes.labels.get(`${step.id}\u0000${outcome}`) },
            source: step.id,
            sourceHandle: outcome,
            target,
            label: outcome,
            ariaLabel: t('designer.edgeLabel', { from: step.id, outcome, to: target }),
            className: isTraced ? 'is-traced' : undefined,
            animated: isTraced,
            markerEnd: { type: MarkerType.ArrowClosed },
          } satisfies RoutedEdgeType;
        }),
    );
  }, [definition, trace, t, routes, stored, dragged]);

  // The fit reads the stored positions as they are then, without laying out again when a node is moved.
  const storedRef = useRef(stored);
  storedRef.current = stored;
  // Layout only when the shape changes (steps, their outcome counts, arrows), not on every parameter edit.
  const shape = JSON.stringify([
    definition.steps.map((s) => [s.id, outcomesOf(s, stepTypes.get(s.type))]),
    edges.map((e) => [e.id, e.source, e.sourceHandle, e.target]),
  ]);
  // Until the layout of the current shape is drawn and fitted, nodes are still moving: the canvas says so
  // (aria-busy), for assistive technology and for whoever aims a click at a node.
  const layoutFor = `${layoutKey ?? 0}\u0000${shape}`;
  const [settledFor, setSettledFor] = useState<string>();
  useEffect(() => {
    let current = true;
    const settle = () => {
      if (current) setSettledFor(layoutFor);
    };
    const [nodes, arrows] = JSON.parse(shape) as [[string, string[]][], [string, string, string, string][]];
    layoutGraph({
      nodes: nodes.map(([id, outcomes]) => ({ id, outcomes })),
      edges: arrows.map(([id, source, sourceHandle, target]) => ({ id, source, sourceHandle, target })),
    }).then(
      (layout) => {
        if (!current) return;
        const next = layout.positions;
        setPositions(next);
        setRoutes({ routes: layout.routes, labels: layout.labels });
        requestAnimationFrame(() => {
          void fitView({ padding: 0.05, maxZoom: 1, minZoom: fitMinZoom })
            .then(async () => {
              // Too big to fit legibly: keep the zoom readable and show the graph from its top left (the start).
              const viewport = getViewport();
              const shown = [...next].map(([id, at]) => storedRef.current?.[id] ?? at);
              if (viewport.zoom > fitMinZoom + 0.001 || shown.length === 0) return;
              const xs = shown.map((p) => p.x);
              const ys = shown.map((p) => p.y);
              await setViewport({ x: 16 - Math.min(...xs) * viewport.zoom, y: 16 - Math.min(...ys) * viewport.zoom, zoom: viewport.zoom });
            })
            .finally(settle);
        });
      },
      // Without a layout the nodes stay where they are (stored or stacked); nothing more will move them.
      settle,
    );
    return () => {
      current = false;
    };
  }, [shape, layoutFor, fitView, getViewport, setViewport, fitMinZoom]);

  const nodes = useMemo<StepNode[]>(() => {
    const numbers = new Map<string, number[]>();
    (trace ?? []).forEach((entry, i) => numbers.set(entry.stepId, [...(numbers.get(entry.stepId) ?? []), i + 1]));
    return definition.steps.map((step, index) => {
      const type = stepTypes.get(step.type);
      return {
        id: step.id,
        type: 'step',
        position: dragged.get(step.id) ?? stored?.[step.id] ?? positions.get(step.id) ?? { x: 0, y: index * 120 },
        selected: step.id === selectedStepId,
        ariaLabel: t('designer.nodeLabel', { title: step.title || type?.title || step.type, id: step.id }),
        data: {
          step,
          typeTitle: type?.title ?? step.type,
          outcomes: outcomesOf(step, type),
          isStart: definition.start === step.id,
          problems: problems?.get(step.id),
          change: changes?.get(step.id),
          traceNumbers: numbers.get(step.id) ?? [],
          connectable: onConnect !== undefined,
        },
      };
    });
  }, [definition, stepTypes, positions, dragged, stored, selectedStepId, problems, changes, trace, onConnect, t]);

  const onNodesChange = (changesToNodes: NodeChange<StepNode>[]) => {
    for (const change of changesToNodes) {
      if (change.type === 'select' && change.selected) onSelect?.(change.id);
      if (change.type !== 'position' || !onPlace) continue;
      const at = change.position ?? dragged.get(change.id);
      if (change.dragging && change.position) {
        setDragged((all) => new Map(all).set(change.id, change.position!));
      } else if (!change.dragging && at) {
        // Dropped (or moved by an arrow key): the definition keeps every node where it is now shown.
        const shown = new Map(nodes.map((node) => [node.id, node.position]));
        shown.set(change.id, at);
        onPlace(shown, `move:${change.id}`);
        setDragged((all) => {
          const rest = new Map(all);
          rest.delete(change.id);
          return rest;
        });
      }
    }
  };

  return (
    <ReactFlow<StepNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={onNodesChange}
      onPaneClick={() => onSelect?.(undefined)}
      onConnect={(c: Connection) => {
        if (c.sourceHandle && c.source !== undefined && c.target) onConnect?.(c.source, c.sourceHandle, c.target);
      }}
      nodesDraggable={onPlace !== undefined}
      nodesConnectable={onConnect !== undefined}
      edgesFocusable={false}
      deleteKeyCode={null}
      selectionKeyCode={null}
      multiSelectionKeyCode={null}
      minZoom={0.2}
      maxZoom={1.5}
      proOptions={{ hideAttribution: true }}
      aria-label={label}
      aria-busy={settledFor !== layoutFor}
      ariaLabelConfig={{
        'node.a11yDescription.default': t('designer.a11yNode'),
        'node.a11yDescription.keyboardDisabled': t('designer.a11yNode'),
        'edge.a11yDescription.default': t('designer.a11yEdge'),
        'controls.ariaLabel': t('designer.controls'),
        'controls.zoomIn.ariaLabel': t('designer.zoomIn'),
        'controls.zoomOut.ariaLabel': t('designer.zoomOut'),
        'controls.fitView.ariaLabel': t('designer.fitView'),
        'controls.interactive.ariaLabel': t('designer.interactive'),
        'handle.ariaLabel': t('designer.handle'),
      }}
    >
      <Background gap={24} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

export function JourneyCanvas(props: JourneyCanvasProps) {
  return (
    <div className="designer-canvas">
      <ReactFlowProvider>
        <CanvasGraph {...props} />
      </ReactFlowProvider>
    </div>
  );
}
