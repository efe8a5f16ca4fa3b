/** The simulator process's control channel: JSON lines on stdin (commands) and stdout (replies, events). */
import { z } from 'zod';
import { terminalBehaviourSchema } from '../../config.js';

export const simulatorCommandSchema = z.discriminatedUnion('cmd', [
  z.object({ id: z.number().int().optional(), cmd: z.literal('setBehaviour'), behaviour: terminalBehaviourSchema }),
  z.object({ id: z.number().int().optional(), cmd: z.literal('state') }),
  /** One-shot: go silent right after acknowledging the ECR's next "please wait" (ZvtTerminalSimulator.silenceAfterPleaseWait). */
  z.object({ id: z.number().int().optional(), cmd: z.literal('silenceAfterPleaseWait') }),
  z.object({ id: z.number().int().optional(), cmd: z.literal('reboot') }),
  z.object({ id: z.number().int().optional(), cmd: z.literal('stop') }),
]);
export type SimulatorCommand = z.infer<typeof simulatorCommandSchema>;

export const ledgerEntrySchema = z.object({
  paymentId: z.string().optional(),
  receiptNumber: z.string(),
  amountCents: z.number().int(),
  state: z.enum(['authorized', 'committed', 'reversed']),
  trace: z.string().optional(),
  kind: z.enum(['payment', 'reversal', 'reservation']).optional(),
  reservation: z.enum(['reserved', 'booked', 'released', 'expired']).optional(),
});

export const simulatorStateSchema = z.object({
  behaviour: terminalBehaviourSchema,
  registered: z.boolean(),
  ledger: z.array(ledgerEntrySchema),
});
export type SimulatorState = z.infer<typeof simulatorStateSchema>;

export const simulatorOutputSchema = z.union([
  z.object({ event: z.literal('ready'), httpPort: z.number().int().optional(), state: simulatorStateSchema }),
  z.object({ event: z.literal('state'), state: simulatorStateSchema }),
  z.object({ id: z.number().int(), ok: z.boolean(), error: z.string().optional(), state: simulatorStateSchema.optional() }),
]);
export type SimulatorOutput = z.infer<typeof simulatorOutputSchema>;
