import { createContext, useContext } from 'react';
import type { KioskEvent, KioskSnapshot, Locale, SendResult } from './bridge/contract.js';

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
