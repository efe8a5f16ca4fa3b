/**
 * What the journeys that write onto the traveller's card share: "hold the same card again" ->
 * write -> write problem (card removed, other card, failed: put the right card back, try again or
 * stop). collect-orders and station-passage use the waiting states as they are; top-up waits the
 * same way but gives the money back when the reader fails, so it uses only the write actions.
 *
 * Each machine still says where "stop" leads (`on`), so the pieces here are state bodies without
 * transitions: spread them into the machine's own state, e.g.
 * `presentAgain: { ...presentAgainWait, on: { CANCEL: '#x.list', BACK: '#x.list' } }`.
 * They touch only the context fields in `CardWriteContext`, invoke the machine's `waitForCard`
 * actor and go to the sibling states `writing` and `writeProblem` (the compiler checks all three
 * against the machine they are spread into).
 */
import { type AnyEventObject, assign } from 'xstate';
import type { WriteProblem } from '../../contract/bridge.js';
import type { WaitForCardInput } from '../types.js';

/** The context fields the shared card-write pieces read and set. */
export interface CardWriteContext {
  writeProblem?: WriteProblem;
  /** The next card wait must see a new presentation (the wrong card may still lie there). */
  needFreshCard: boolean;
}

/** The default for an actor the runtime must provide: fails loudly instead of pretending. */
export function notProvidedIn(machine: string) {
  return (name: string) => (): never => {
    throw new Error(`${machine} machine: actor '${name}' was not provided by the runtime`);
  };
}

const WRITE_PROBLEMS: readonly string[] = ['card-removed', 'wrong-card', 'write-failed'] satisfies WriteProblem[];

/** A write actor's result that is not a success, as the write-problem screen shows it (any other
 * result, which the machines' earlier guards already took, counts as a failed write). Pure. */
export function writeProblemOf(result: string): WriteProblem {
  return WRITE_PROBLEMS.includes(result) ? (result as WriteProblem) : 'write-failed';
}

// The actions below assign only: they raise no events and spawn no actors (hence `never`, which
// lets them sit in any machine whose context has the `CardWriteContext` fields).

/** The write actor answered with a problem: show it; after the wrong card, wait for a new one. */
export const writeAnsweredProblem = assign<CardWriteContext, AnyEventObject & { output: { result: string } }, undefined, never, never>(
  ({ event }) => ({
    writeProblem: writeProblemOf(event.output.result),
    needFreshCard: event.output.result === 'wrong-card',
  }),
);

/** The write actor threw (or the reader failed while waiting): a failed write. */
export const writeThrew = assign<CardWriteContext, AnyEventObject, undefined, never, never>({
  writeProblem: 'write-failed',
  needFreshCard: false,
});

const readerFailed = assign<CardWriteContext, AnyEventObject, undefined, never, never>({ writeProblem: 'write-failed' });

/** `presentAgain` (screen present-again): wait for the card, at once if it still lies there;
 * then `writing`. The reader failing shows the write-problem screen. */
export const presentAgainWait = {
  meta: { screen: 'present-again' },
  invoke: {
    src: 'waitForCard',
    input: ({ context }: { context: CardWriteContext }): WaitForCardInput => ({ fresh: context.needFreshCard }),
    onDone: 'writing',
    onError: { target: 'writeProblem', actions: readerFailed },
  },
} as const;

/** `writeProblem` (screen write-problem): putting the right card back writes again at once; the
 * machine adds RETRY (-> presentAgain) and where "stop" leads. The reader failing keeps the
 * screen (its buttons still work). */
export const writeProblemWait = {
  meta: { screen: 'write-problem' },
  invoke: {
    src: 'waitForCard',
    input: (): WaitForCardInput => ({ fresh: true }),
    onDone: 'writing',
    onError: { actions: readerFailed },
  },
} as const;
