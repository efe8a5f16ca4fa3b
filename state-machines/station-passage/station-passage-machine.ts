/**
 * The free one-off station passage (beyond the seeds; docs/domain.md "what a real NS machine also
 * offers"): a card without enough balance to check in gets a product valid for a short time at
 * this station only, so the traveller can pass the gates (e.g. to reach the service desk or leave
 * the station). Offered by the session's menu only when it applies (see `stationPassageApplies`).
 *
 *   confirm (what it is; "Akkoord") -> loading { presentAgain -> writing (journaled card write) ->
 *   writeProblem } -> done (valid until) -> FINISH | BACK (menu)
 *
 * It reuses the order screens (order-confirm, present-again, writing-card, write-problem,
 * order-done): to the traveller it is a product loaded onto the card, shown as product
 * STATION-PASSAGE; the snapshot's `stationPassage` says which station and for how long.
 */
import { assign, fromPromise, setup } from 'xstate';
import { STATION_PASSAGE_CODE } from '../../domain/station-passage.js';
import type { CardIdentity } from '../../contract/card.js';
import type { WriteProblem } from '../../contract/bridge.js';
import { notProvidedIn, presentAgainWait, writeAnsweredProblem, writeProblemWait, writeThrew } from '../shared/card-write.js';
import type { ScreenMeta } from '../top-up/top-up-machine.js';
import type {
  CardAfterLoad,
  CardInfo,
  StationPassageInput,
  StationPassageOutput,
  StationPassageSettings,
  WaitForCardInput,
  WaitForCardOutput,
} from '../types.js';

export interface StationPassageMachineInput {
  card: CardIdentity;
  stationCode: string;
  minutes: number;
  today: string;
}

export type StationPassageOutcome = 'back' | 'cancelled' | 'finished';

export interface StationPassageMachineOutput {
  outcome: StationPassageOutcome;
  card?: CardAfterLoad;
}

export interface StationPassageContext extends StationPassageMachineInput {
  granted?: { code: string; validFrom: string; validUntil: string; station?: string };
  cardAfter?: CardAfterLoad;
  writeProblem?: WriteProblem;
  needFreshCard: boolean;
  outcome?: StationPassageOutcome;
}

export type StationPassageUserEvent = { type: 'CONFIRM' } | { type: 'RETRY' } | { type: 'BACK' } | { type: 'CANCEL' } | { type: 'FINISH' };

export const STATION_PASSAGE_USER_EVENTS = ['CONFIRM', 'RETRY', 'BACK', 'CANCEL', 'FINISH'] as const;

const notProvided = notProvidedIn('station-passage');

export const stationPassageMachine = setup({
  types: {
    context: {} as StationPassageContext,
    events: {} as StationPassageUserEvent,
    input: {} as StationPassageMachineInput,
    output: {} as StationPassageMachineOutput,
    meta: {} as ScreenMeta,
    tags: {} as 'busy' | 'protected',
  },
  actors: {
    waitForCard: fromPromise<WaitForCardOutput, WaitForCardInput>(notProvided('waitForCard')),
    grantStationPassage: fromPromise<StationPassageOutput, StationPassageInput>(notProvided('grantStationPassage')),
  },
}).createMachine({
  id: 'stationPassage',
  context: ({ input }) => ({ ...input, needFreshCard: false }),
  initial: 'confirm',
  output: ({ context }) => ({
    outcome: context.outcome ?? 'cancelled',
    ...(context.cardAfter ? { card: context.cardAfter } : {}),
  }),
  states: {
    confirm: {
      meta: { screen: 'order-confirm' },
      on: {
        CONFIRM: { target: 'loading', actions: assign({ needFreshCard: false, writeProblem: undefined }) },
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'back' }) },
      },
    },
    loading: {
      initial: 'presentAgain',
      states: {
        presentAgain: { ...presentAgainWait, on: { CANCEL: '#stationPassage.confirm', BACK: '#stationPassage.confirm' } },
        writing: {
          meta: { screen: 'writing-card' },
          tags: ['busy', 'protected'],
          invoke: {
            src: 'grantStationPassage',
            input: ({ context }) => ({ card: context.card }),
            onDone: [
              {
                guard: ({ event }) => event.output.result === 'granted',
                target: '#stationPassage.done',
                actions: assign(({ event }) =>
                  event.output.result === 'granted' ? { granted: event.output.product, cardAfter: event.output.card, writeProblem: undefined } : {},
                ),
              },
              // The card as it is now does not qualify (nothing written): back to the menu, which
              // is worked out again for the card.
              { guard: ({ event }) => event.output.result === 'refused', target: '#stationPassage.leaving', actions: assign({ outcome: 'back' }) },
              { target: 'writeProblem', actions: writeAnsweredProblem },
            ],
            onError: { target: 'writeProblem', actions: writeThrew },
          },
        },
        writeProblem: {
          ...writeProblemWait,
          on: {
            RETRY: 'presentAgain',
            CANCEL: { target: '#stationPassage.leaving', actions: assign({ outcome: 'back' }) },
            BACK: { target: '#stationPassage.leaving', actions: assign({ outcome: 'back' }) },
          },
        },
      },
    },
    done: {
      meta: { screen: 'order-done' },
      on: {
        FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
      },
    },
    leaving: { type: 'final' },
  },
});

export type StationPassageMachine = typeof stationPassageMachine;
