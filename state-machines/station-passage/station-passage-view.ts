/**
 * The free station passage's screens as the renderer sees them: which station and how long,
 * and once loaded until when. Its own view members (no order pretending to be one). Pure.
 */
import type { SnapshotFrom } from 'xstate';
import type { StationPassageView, StationPassageWriteProblemView } from '../../contract/bridge.js';
import { cardView, cardWithLoad, type JourneyViewInput } from '../card-view.js';
import { screenFromMeta } from '../screen.js';
import type { StationPassageMachine } from './station-passage-machine.js';

export type StationPassageJourneyView = StationPassageView | StationPassageWriteProblemView;

/** The view for the station-passage machine's current state; undefined on a step without a screen. */
export function stationPassageView(snapshot: SnapshotFrom<StationPassageMachine>, input: JourneyViewInput): StationPassageJourneyView | undefined {
  const screen = screenFromMeta(snapshot);
  if (!screen) return undefined;
  const p = snapshot.context;
  const common = {
    ...input.base,
    journey: 'station-passage' as const,
    card: cardView(cardWithLoad(input.card, p.cardAfter), input.today),
    stationPassage: { station: p.stationCode, minutes: p.minutes, ...(p.granted ? { validUntil: p.granted.validUntil } : {}) },
  };
  switch (screen) {
    case 'write-problem':
      return { ...common, screen, writeProblem: p.writeProblem ?? 'write-failed' };
    case 'order-confirm':
    case 'present-again':
    case 'writing-card':
    case 'order-done':
      return { ...common, screen };
    default:
      throw new Error(`station-passage: no view for screen ${screen}`);
  }
}
