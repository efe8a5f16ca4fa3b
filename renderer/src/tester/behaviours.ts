/** What each emulated terminal behaviour is called and does, in one line (the type keeps it complete). */
import type { TerminalBehaviour } from './tester-api.js';

export const BEHAVIOURS = {
  approve: { label: 'Approve', does: 'The payment is approved and booked once the card is credited.' },
  decline: { label: 'Decline', does: 'The bank refuses the payment; nothing is charged.' },
  'wrong-pin': { label: 'Wrong PIN', does: 'The PIN is entered wrongly too often; the payment fails.' },
  'customer-abort': { label: 'Traveller stops', does: 'The traveller presses stop on the terminal; the payment ends unpaid.' },
  'card-not-readable': { label: 'Bank card unreadable', does: 'The terminal cannot read the bank card; the payment fails.' },
  'not-registered': { label: 'Terminal not ready', does: 'The terminal answers that it is not registered: no payment possible.' },
  'host-timeout': { label: 'Bank does not answer', does: 'The terminal waits for the bank in vain; the payment times out.' },
  silent: { label: 'Terminal silent', does: 'The terminal never answers; the kiosk gives up after its timeout.' },
  'drop-acks': { label: 'Lost acknowledgements', does: 'The terminal drops its ZVT acknowledgements; the driver must repeat.' },
  'corrupt-crc': { label: 'Corrupt frames', does: 'Frames arrive with a wrong checksum; the driver must reject them.' },
  slow: { label: 'Slow terminal', does: 'Approves, but every step takes long (prompts, then approval).' },
} as const satisfies Record<TerminalBehaviour, { label: string; does: string }>;
