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
  /** Extra class (e.g. the start screen's larger button). */
  className?: string;
  /** For a choice among several (an amount): whether it is the chosen one. */
  pressed?: boolean;
}

/** A touch button that sends one kiosk event. At least 96 px high (see styles.css and docs/design.md). */
export function EventButton({ event, children, variant = 'secondary', whileBusy, disabled, label, testId, className, pressed }: Props) {
  const { snapshot, send } = useKiosk();
  const off = disabled || (snapshot.busy && !whileBusy);
  return (
    <button
      type="button"
      className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
      aria-pressed={pressed}
      disabled={off}
      aria-label={label}
      data-testid={testId}
      onClick={() => void send(event)}
    >
      {children}
    </button>
  );
}

/** "Finish": back to the start screen, allowed while busy. Primary where it is the screen's only way on. */
export function FinishButton({ variant = 'primary', children }: { variant?: Props['variant']; children: ReactNode }) {
  return (
    <EventButton event={{ type: 'FINISH' }} variant={variant} whileBusy testId="finish">
      {children}
    </EventButton>
  );
}
