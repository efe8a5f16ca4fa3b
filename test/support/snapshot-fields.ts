/**
 * Tests that wait for "some snapshot" and then read a field before narrowing on `screen` see
 * every member's fields as optional here (the renderer and the core narrow instead).
 */
import type { KioskSnapshot } from '../../contract/bridge.js';

type KeysOf<M> = M extends unknown ? keyof M : never;
type ValueAt<M, K extends PropertyKey> = M extends unknown ? (K extends keyof M ? M[K] : never) : never;

/** Any KioskSnapshot, with every member's fields readable (absent ones are undefined). */
export type AnySnapshot = { [K in KeysOf<KioskSnapshot>]?: ValueAt<KioskSnapshot, K> } & Pick<KioskSnapshot, 'rev' | 'screen' | 'locale' | 'busy' | 'inactivity'>;

/** Widen a snapshot for reading in tests. */
export const anySnapshot = (s: KioskSnapshot): AnySnapshot => s;
