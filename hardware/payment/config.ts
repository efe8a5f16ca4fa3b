import { z } from 'zod';
import type { TerminalBehaviour } from './emulator-control.js';

export const TERMINAL_BEHAVIOURS = [
  'approve',
  'decline',
  'wrong-pin',
  'customer-abort',
  'card-not-readable',
  'not-registered',
  'host-timeout',
  'silent',
  'drop-acks',
  'corrupt-crc',
  'slow',
] as const satisfies readonly TerminalBehaviour[];

export const terminalBehaviourSchema = z.enum(TERMINAL_BEHAVIOURS);

/** ZVT timers (PA00P016): defaults are the spec's; tests shorten them. */
export const zvtTimersSchema = z
  .object({
    /** Max gap between bytes inside a frame before the receiver NAKs. */
    t1Ms: z.number().int().positive().default(200),
    /** Wait for ACK/NAK before resending a frame (at most two repeats). */
    t2Ms: z.number().int().positive().default(5_000),
    /** `80 00` must follow a command within this. */
    t3Ms: z.number().int().positive().default(5_000),
    /** Completion must come within this of `80 00`; restarted by every 04 FF / 04 0F. */
    t4Ms: z.number().int().positive().default(180_000),
  })
  .prefault({});

export const paymentHardwareConfigSchema = z
  .object({
    /** emulated: in process; wire: ZVT driver over a socat pseudo-terminal to the simulator; real: a terminal on serialPath. */
    mode: z.enum(['emulated', 'wire', 'real']),
    /** The serial device of a real terminal (e.g. /dev/ttyUSB0). Required for mode 'real'. */
    serialPath: z.string().min(1).optional(),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(2),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    /** The terminal's ZVT password (6 digits). */
    password: z.string().regex(/^\d{6}$/, 'password must be 6 digits').default('000000'),
    /** Emulators: pause between the terminal's prompts (ms). */
    promptDelayMs: z.number().int().min(0).default(400),
    /** Emulators: behaviour at start. */
    behaviour: terminalBehaviourSchema.default('approve'),
    /** Emulators: how long an approved payment waits for the kiosk's commit before the terminal reverses it. */
    commitWindowMs: z.number().int().positive().default(120_000),
    /**
     * The terminal's own profile (issue 12): what the REAL terminal does, as configured at the
     * terminal (its vendor settings), not what the emulators do. `commitWindowMs`: how long it keeps
     * an approved payment open for the kiosk's answer before reversing it on its own; in real mode
     * the kiosk's credit wait is checked against this, never against the emulator setting above.
     * `flow`: 'commit-point' (the terminal waits for the answer to its Status-Information before
     * booking, docs/zvt.md) or 'reservation' (pre-authorisation 06 22, book total 06 24, reversal
     * of the pre-authorisation 06 25, for terminals without the commit point).
     */
    terminalProfile: z
      .object({
        flow: z.enum(['commit-point', 'reservation']).default('commit-point'),
        commitWindowMs: z.number().int().positive().default(120_000),
      })
      .prefault({}),
    /**
     * Emulators: how long a reservation (pre-authorisation 06 22) stays open without book total or
     * reversal before the terminal releases it on its own (real terminals: days, set by the acquirer).
     */
    reservationLifetimeMs: z.number().int().positive().default(7 * 24 * 3_600_000),
    /** Emulated mode: how long the silent behaviour keeps the kiosk waiting before giving up. */
    silenceMs: z.number().int().positive().default(15_000),
    timers: zvtTimersSchema,
    /** ZVT driver: hold a 04 0F answer this long for the kiosk's decision before "please wait" (below the terminal's T3). */
    holdMs: z.number().int().positive().default(2_000),
    /** ZVT driver: after start, listen this long for a terminal still in a previous process's transaction before resolve() asks it. */
    orphanListenMs: z.number().int().min(0).default(2_500),
    /** ZVT driver: status enquiry (05 01) every this many ms while idle; re-registers after a terminal reboot. 0 = off. */
    statusPollMs: z.number().int().min(0).default(30_000),
    /** Simulator: after "please wait" (84 9C) ask again after this long (spec: 2 s). */
    reaskMs: z.number().int().positive().default(2_000),
    /** Wire mode: run the simulator in this process (default) or as a separate process (tsx). */
    simulator: z.enum(['in-process', 'process']).default('in-process'),
    /** Wire mode with simulator 'process': also serve the simulator's HTTP control on this local port (0 = any free one). */
    simulatorHttpPort: z.number().int().min(0).max(65535).optional(),
    /** Wire mode: directory for the socat links (a fresh temp dir when absent). */
    wireDir: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'real' && !c.serialPath)
      ctx.addIssue({ code: 'custom', path: ['serialPath'], message: "mode 'real' needs serialPath" });
  });

/** What callers write (defaults optional). */
export type PaymentHardwareConfig = z.input<typeof paymentHardwareConfigSchema>;
/** After validation, defaults applied. */
export type ResolvedPaymentHardwareConfig = z.output<typeof paymentHardwareConfigSchema>;
export type ZvtTimers = z.output<typeof zvtTimersSchema>;

/**
 * How long the terminal keeps an approved payment open for the kiosk: the configured terminal
 * profile for a real terminal; the emulated/simulated terminal's own setting otherwise (that IS
 * the terminal there).
 */
export function terminalCommitWindowMs(c: Pick<ResolvedPaymentHardwareConfig, 'mode' | 'commitWindowMs' | 'terminalProfile'>): number {
  return c.mode === 'real' ? c.terminalProfile.commitWindowMs : c.commitWindowMs;
}
