/**
 * Reading a running session: which screen it is on and which journey child is active. Every
 * screen state carries `meta: { screen }`; a journey's child machine decides the screen while it
 * runs. Pure helpers over XState snapshots, shared by the runtime's snapshot derivation and tests.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { ScreenId } from '../contract/bridge.js';

/** Ids under which the session invokes its journey machines. Issue 6 adds its journeys here. */
export const JOURNEY_IDS = ['topUp', 'collectOrders', 'stationPassage'] as const;
export type JourneyId = (typeof JOURNEY_IDS)[number];

export function screenFromMeta(snapshot: AnyMachineSnapshot): ScreenId | undefined {
  const meta = snapshot.getMeta() as Record<string, { screen?: ScreenId } | undefined>;
  let found: { screen: ScreenId; depth: number } | undefined;
  for (const [id, m] of Object.entries(meta)) {
    if (!m?.screen) continue;
    const depth = id.split('.').length;
    if (!found || depth > found.depth) found = { screen: m.screen, depth };
  }
  return found?.screen;
}

/** The active journey child's snapshot, if the session is inside a journey. */
export function activeJourney(snapshot: AnyMachineSnapshot): { id: JourneyId; snapshot: AnyMachineSnapshot } | undefined {
  const children = snapshot.children as Record<string, { getSnapshot(): unknown } | undefined>;
  for (const id of JOURNEY_IDS) {
    const child = children[id];
    if (!child) continue;
    const s = child.getSnapshot() as AnyMachineSnapshot;
    if (s.status === 'active') return { id, snapshot: s };
  }
  return undefined;
}

/**
 * The screen the session is on, or undefined between screens: for one step after a journey child
 * finished, the session still sits in the state that invoked it (which has no screen of its own)
 * until the child's done event moves it on. Shells must not be shown such a step.
 */
export function currentScreen(snapshot: AnyMachineSnapshot): ScreenId | undefined {
  const journey = activeJourney(snapshot) ?? activeMaintenance(snapshot);
  return (journey && screenFromMeta(journey.snapshot)) ?? screenFromMeta(snapshot);
}

/** Issue 13: the technician's maintenance child (invoked as 'maintenance'), while it runs. */
export function activeMaintenance(snapshot: AnyMachineSnapshot): { id: 'maintenance'; snapshot: AnyMachineSnapshot } | undefined {
  const child = (snapshot.children as Record<string, { getSnapshot(): unknown } | undefined>)['maintenance'];
  const s = child?.getSnapshot() as AnyMachineSnapshot | undefined;
  return s && s.status === 'active' ? { id: 'maintenance', snapshot: s } : undefined;
}

export function hasTag(snapshot: AnyMachineSnapshot, tag: string): boolean {
  const journey = activeJourney(snapshot) ?? activeMaintenance(snapshot);
  return snapshot.hasTag(tag) || (journey?.snapshot.hasTag(tag) ?? false);
}
