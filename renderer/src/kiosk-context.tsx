import { createContext, useContext } from 'react';
import type { KioskEvent, KioskSnapshot, Locale, ScreenId, SendResult, SnapshotFor } from './bridge/contract.js';

export interface KioskContextValue {
  snapshot: KioskSnapshot;
  locale: Locale;
  send(event: KioskEvent): Promise<SendResult>;
}

export const KioskContext = createContext<KioskContextValue | undefined>(undefined);

export function useKiosk(): KioskContextValue {
  const v = useContext(KioskContext);
  if (!v) throw new Error('useKiosk outside KioskContext');
  return v;
}

/**
 * The snapshot narrowed to the screen a component renders (App picks the component by
 * `snapshot.screen`, so they always agree; a mismatch is a programming error and says so).
 */
export function useScreen<S extends ScreenId>(screen: S): SnapshotFor<S> {
  const { snapshot } = useKiosk();
  if (snapshot.screen !== screen) throw new Error(`screen ${screen} rendered for a ${snapshot.screen} snapshot`);
  // TypeScript does not narrow a union on a generic discriminant; the check above does.
  return snapshot as SnapshotFor<S>;
}
