import type { ReactNode } from 'react';
import type { KioskEvent } from '../bridge/contract.js';
import { useKiosk } from '../kiosk-context.js';

interface Props {
  event: KioskEvent;
  children: ReactNode;
  variant?: 'primary' | 'secondary' | 'option';
  /** Allowed while the core is busy (cancel, back). Other buttons are disabled then. */
  whileBusy?: boolean;
  disabled?: boolean;
  label?: string;
  testId?: string;
}

/** A touch button that sends one kiosk event. At least 48 px high (see styles.css). */
export function EventButton({ event, children, variant = 'secondary', whileBusy, disabled, label, testId }: Props) {
  const { snapshot, send } = useKiosk();
  const off = disabled || (snapshot.busy && !whileBusy);
  return (
    <button
      type="button"
      className={`btn btn-${variant}`}
      disabled={off}
      aria-label={label}
      data-testid={testId}
      onClick={() => void send(event)}
    >
      {children}
    </button>
  );
}
