/**
 * The model-based walk (test support, imported by *.test.ts only): every simple path of a machine,
 * walked with @xstate/graph on the REAL machine. Nothing is mocked inside a machine: where a machine
 * waits for an actor (card reader, terminal, back office, journaled card write) the walk supplies
 * that actor's done events (every output the actor can give, per its type in ../types.ts) and its
 * error event, and it fires every delay. User events are the ones each state handles.
 *
 * Along every path it checks what must hold on every screen of a public kiosk:
 * - every state the traveller can be in shows a screen (or is a journey whose child shows one);
 * - no dead ends: every state has a way on (an event or an actor that will answer);
 * - no state is reached with the machine in error;
 * plus the model's own checks per state and per whole path.
 * The walks: ../model-based.test.ts (session, collect orders, station passage) and
 * ../top-up/top-up-model.test.ts (top-up, on its own so that mutation testing of the top-up machine
 * can run it for every mutant: a few seconds).
 */
import { getSimplePaths } from '@xstate/graph';
import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine, AnyStateNode, EventObject } from 'xstate';
import { expect } from 'vitest';
import { screenFromMeta } from '../screen.js';

export interface Model {
  name: string;
  machine: AnyStateMachine;
  input: unknown;
  /** Possible outputs per actor source (done events); every actor may also fail (error event). */
  outputs: Record<string, unknown[]>;
  /** Concrete user events per event type. */
  userEvents: Record<string, AnyEventObject[]>;
  /** What makes two snapshots the same state for the walk (value + the context that decides). */
  key: (s: AnyMachineSnapshot) => string;
  /** Extra checks on every state reached. */
  check?: (s: AnyMachineSnapshot) => void;
  /** Leave an event type out in some states (keeps the walk finite in time; unit tests cover the rest). */
  skip?: (type: string, s: AnyMachineSnapshot) => boolean;
  /** Checks on a whole path: its states in order (the first is the initial state) and the events between them. */
  pathCheck?: (states: AnyMachineSnapshot[], events: EventObject[]) => void;
  /** States that show no screen of their own (a child journey shows it). */
  screenless?: (s: AnyMachineSnapshot) => boolean;
}

/** The active state nodes of a snapshot (XState keeps them as `_nodes`; there is no public accessor). */
const activeNodes = (s: AnyMachineSnapshot) => (s as unknown as { _nodes: AnyStateNode[] })._nodes;

/** Every event the active states handle: user events, actor done/error, delays. */
function eventsFor(model: Model) {
  return (s: AnyMachineSnapshot): EventObject[] => {
    const out: EventObject[] = [];
    const seen = new Set<string>();
    for (const node of activeNodes(s)) {
      for (const [type] of node.transitions) {
        if (seen.has(type)) continue;
        seen.add(type);
        if (type.startsWith('xstate.done.actor.')) {
          const inv = node.invoke.find((i) => type === `xstate.done.actor.${i.id}`);
          const src = typeof inv?.src === 'string' ? inv.src : '';
          const outputs = model.outputs[src];
          if (!outputs) throw new Error(`${model.name}: no outputs listed for actor '${src}' (${type})`);
          for (const output of outputs) out.push({ type, output } as EventObject);
        } else if (type.startsWith('xstate.error.actor.')) {
          out.push({ type, error: new Error('actor failed') } as EventObject);
        } else if (type.startsWith('xstate.snapshot.')) {
          // A journey child moved to a screen where money or a card write is in flight, or not.
          // It takes every event it handles (the walk of that child covers what it does with them).
          for (const protect of [true, false])
            out.push({ type, snapshot: { status: 'active', hasTag: (t: string) => protect && t === 'protected', can: () => true } } as EventObject);
        } else if (type.startsWith('xstate.after.')) {
          out.push({ type });
        } else if (type.startsWith('IDLE.')) {
          // Raised by the machine itself, never sent from outside.
        } else if (model.skip?.(type, s)) {
          // walked elsewhere (see the model's skip)
        } else {
          const evs = model.userEvents[type];
          if (!evs) throw new Error(`${model.name}: no user events listed for '${type}'`);
          out.push(...evs);
        }
      }
    }
    return out;
  };
}

/** Does this state have a way on: a handled event, or an actor running that will answer? */
function hasWayOn(model: Model, s: AnyMachineSnapshot): boolean {
  if (s.status !== 'active') return true;
  return eventsFor(model)(s).length > 0;
}

export function walk(model: Model): { paths: number; states: number; keys: Set<string> } {
  const events = eventsFor(model);
  const paths = getSimplePaths(model.machine, {
    input: model.input as never,
    events: events as never,
    serializeState: (s) => model.key(s as AnyMachineSnapshot),
    serializeEvent: (e) =>
      JSON.stringify(e, (k, v: unknown) =>
        k === 'error' ? 'error' : k === 'snapshot' ? ((v as { hasTag(t: string): boolean }).hasTag('protected') ? 'protected' : 'open') : v,
      ),
  });
  const states = new Set<string>();
  for (const path of paths) {
    const visited = [...path.steps.map((st) => st.state), path.state] as AnyMachineSnapshot[];
    model.pathCheck?.(visited, path.steps.map((st) => st.event));
    for (const s of visited) {
      if (s.status === 'error') throw new Error(`${model.name}: machine in error after ${path.steps.map((x) => x.event.type).join(' > ')}`);
      // Each distinct state is checked once (many paths share it).
      const key = model.key(s);
      if (states.has(key)) continue;
      states.add(key);
      if (s.status === 'active') {
        const shown = screenFromMeta(s);
        if (!shown) expect(model.screenless?.(s) ?? false, `${model.name}: no screen in ${JSON.stringify(s.value)}`).toBe(true);
        expect(hasWayOn(model, s), `${model.name}: dead end in ${JSON.stringify(s.value)}`).toBe(true);
      }
      model.check?.(s);
    }
  }
  return { paths: paths.length, states: states.size, keys: states };
}

/** The user events every journey handles alike. */
export const common = {
  RETRY: [{ type: 'RETRY' }],
  BACK: [{ type: 'BACK' }],
  CANCEL: [{ type: 'CANCEL' }],
  FINISH: [{ type: 'FINISH' }],
  CONFIRM: [{ type: 'CONFIRM' }],
};
