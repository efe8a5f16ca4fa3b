/**
 * The kiosk's pictograms, drawn here as inline SVG (no image files, nothing fetched: the CSP allows
 * only 'self'). Decorative: every pictogram stands beside words that say the same, so each is
 * aria-hidden. Drawn on a 120×120 grid in NS blue (`currentColor`) with NS yellow fills.
 */
import type { ReactNode } from 'react';

export type PictogramName =
  | 'card'
  | 'card-reader'
  | 'payment-terminal'
  | 'card-again'
  | 'topup'
  | 'collect-orders'
  | 'balance'
  | 'station-passage'
  | 'problem'
  | 'done'
  | 'wait';

const Y = 'var(--ns-yellow)';

const DRAWINGS: Record<PictogramName, ReactNode> = {
  // An OV-chipkaart: a yellow card with the chip and the NS stripe.
  card: (
    <>
      <rect x="10" y="28" width="100" height="64" rx="8" fill={Y} stroke="currentColor" strokeWidth="5" />
      <rect x="22" y="46" width="20" height="16" rx="3" fill="none" stroke="currentColor" strokeWidth="4" />
      <path d="M22 78 H98" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
    </>
  ),
  // The card reader: a square pad with the contactless waves.
  'card-reader': (
    <>
      <rect x="18" y="18" width="84" height="84" rx="10" fill="none" stroke="currentColor" strokeWidth="6" />
      <path d="M48 44 a22 22 0 0 1 0 32 M58 36 a34 34 0 0 1 0 48 M68 28 a46 46 0 0 1 0 64" fill="none" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
      <circle cx="38" cy="60" r="6" fill="currentColor" />
    </>
  ),
  // The payment terminal: a handset with a screen and a keypad, a bank card going in on top.
  'payment-terminal': (
    <>
      <rect x="30" y="8" width="44" height="30" rx="4" fill={Y} stroke="currentColor" strokeWidth="4" />
      <rect x="24" y="30" width="64" height="84" rx="10" fill="#ffffff" stroke="currentColor" strokeWidth="6" />
      <rect x="34" y="40" width="44" height="22" rx="3" fill="currentColor" />
      {[0, 1, 2].map((r) =>
        [0, 1, 2].map((c) => <rect key={`${r}${c}`} x={36 + c * 15} y={70 + r * 13} width="10" height="8" rx="2" fill="currentColor" />),
      )}
    </>
  ),
  // "Hold your card again": the card over the reader with a return arrow.
  'card-again': (
    <>
      <rect x="14" y="54" width="92" height="56" rx="8" fill="none" stroke="currentColor" strokeWidth="5" />
      <rect x="26" y="40" width="68" height="44" rx="6" fill={Y} stroke="currentColor" strokeWidth="5" />
      <path d="M30 26 a30 22 0 0 1 58 0" fill="none" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
      <path d="M88 26 l-10 -8 M88 26 l-12 4" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
    </>
  ),
  // Top up: a card with a plus and a euro sign.
  topup: (
    <>
      <rect x="8" y="34" width="76" height="50" rx="7" fill={Y} stroke="currentColor" strokeWidth="5" />
      <circle cx="86" cy="78" r="26" fill="#ffffff" stroke="currentColor" strokeWidth="5" />
      <path d="M96 68 a14 14 0 1 0 0 20 M72 74 H90 M72 82 H90" fill="none" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
      <path d="M34 20 V48 M20 34 H48" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
    </>
  ),
  // Collect an order: a parcel with an arrow down onto a card.
  'collect-orders': (
    <>
      <rect x="28" y="10" width="64" height="46" rx="4" fill="#ffffff" stroke="currentColor" strokeWidth="5" />
      <path d="M28 24 H92 M60 10 V24" stroke="currentColor" strokeWidth="5" />
      <path d="M60 58 V78 M50 70 L60 80 L70 70" fill="none" stroke="currentColor" strokeWidth="6" strokeLinecap="round" strokeLinejoin="round" />
      <rect x="16" y="84" width="88" height="30" rx="6" fill={Y} stroke="currentColor" strokeWidth="5" />
    </>
  ),
  // Balance and journeys: a list with a euro mark.
  balance: (
    <>
      <rect x="16" y="10" width="72" height="100" rx="6" fill="#ffffff" stroke="currentColor" strokeWidth="5" />
      <path d="M30 32 H74 M30 52 H74 M30 72 H58" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
      <circle cx="86" cy="86" r="24" fill={Y} stroke="currentColor" strokeWidth="5" />
      <path d="M95 76 a12 12 0 1 0 0 20 M74 83 H90 M74 90 H90" fill="none" stroke="currentColor" strokeWidth="4" strokeLinecap="round" />
    </>
  ),
  // Station passage: a gate with a clock.
  'station-passage': (
    <>
      <path d="M12 110 V30 M48 110 V30 M12 30 H48" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
      <path d="M48 62 H66" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
      <circle cx="86" cy="70" r="28" fill={Y} stroke="currentColor" strokeWidth="5" />
      <path d="M86 52 V70 L98 78" fill="none" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
    </>
  ),
  problem: (
    <>
      <path d="M60 10 L112 104 H8 Z" fill={Y} stroke="currentColor" strokeWidth="6" strokeLinejoin="round" />
      <path d="M60 44 V72" stroke="currentColor" strokeWidth="9" strokeLinecap="round" />
      <circle cx="60" cy="88" r="5.5" fill="currentColor" />
    </>
  ),
  done: (
    <>
      <circle cx="60" cy="60" r="48" fill={Y} stroke="currentColor" strokeWidth="6" />
      <path d="M36 62 L54 80 L86 42" fill="none" stroke="currentColor" strokeWidth="9" strokeLinecap="round" strokeLinejoin="round" />
    </>
  ),
  wait: (
    <>
      <circle cx="60" cy="60" r="48" fill="#ffffff" stroke="currentColor" strokeWidth="6" />
      <path d="M60 26 V60 L82 74" fill="none" stroke="currentColor" strokeWidth="7" strokeLinecap="round" />
    </>
  ),
};

export function Pictogram({ name, className }: { name: PictogramName; className?: string }) {
  return (
    <svg viewBox="0 0 120 120" className={`pictogram ${className ?? ''}`} aria-hidden="true" focusable="false" data-pictogram={name}>
      {DRAWINGS[name]}
    </svg>
  );
}

/**
 * "Hold your card here": a card that moves down onto the reader, with an arrow pointing to where
 * the reader sits on the kiosk (below the screen, to the right, on the NS machines). Still with
 * prefers-reduced-motion (styles.css): then the card simply rests on the reader.
 */
export function HoldCardHere({ label }: { label: string }) {
  return (
    <div className="hold-card" data-testid="hold-card-here">
      <svg viewBox="0 0 240 260" className="hold-card-art" aria-hidden="true" focusable="false">
        <g className="hold-card-reader">
          <rect x="40" y="150" width="160" height="90" rx="14" fill="#ffffff" stroke="currentColor" strokeWidth="7" />
          <path d="M106 178 a18 18 0 0 1 0 34 M118 170 a30 30 0 0 1 0 50 M130 162 a42 42 0 0 1 0 66" fill="none" stroke="currentColor" strokeWidth="6" strokeLinecap="round" />
        </g>
        <g className="hold-card-card">
          <rect x="60" y="20" width="120" height="76" rx="10" fill="var(--ns-yellow)" stroke="currentColor" strokeWidth="6" />
          <rect x="76" y="40" width="24" height="18" rx="3" fill="none" stroke="currentColor" strokeWidth="4" />
        </g>
      </svg>
      <p className="hold-card-label">
        <span className="hold-card-arrow" aria-hidden="true">
          ↓
        </span>
        {label}
      </p>
    </div>
  );
}
