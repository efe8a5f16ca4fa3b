/**
 * Commands that end with a result and a Completion: reversal (06 30), end-of-day (06 50),
 * diagnosis (06 70). Run inside a conversation; "not registered" registers again and repeats.
 */
import { PaymentTerminalError } from '../../errors.js';
import type { Apdu } from '../apdu.js';
import { hex } from '../bytes.js';
import { CMD, build, is, parseAbort, parseStatusInformation } from '../messages.js';
import { RESULT } from '../result-codes.js';
import { isAnswer, type Conversation } from './conversation.js';
import type { Registration } from './registration.js';

export interface CommandResult {
  ok: boolean;
  resultCode: number;
  /** The terminal's status information, where it sent one (end-of-day: the booked total). */
  amountCents?: number;
  trace?: string;
}

export async function runCommand(conv: Conversation, registration: Registration, a: Apdu): Promise<CommandResult> {
  const r = await registration.commandRegistered(a);
  if (!r) throw new PaymentTerminalError('offline', `no answer to ${hex([a.cls, a.ins])} (T3)`);
  if (!r.ok) return { ok: false, resultCode: r.code };
  let result = 0;
  let info: { amountCents?: number; trace?: string } = {};
  for (;;) {
    const m = await conv.next();
    if (!m) throw new PaymentTerminalError('offline', `no completion of ${hex([a.cls, a.ins])} (T4)`);
    if (isAnswer(m)) continue;
    await conv.reply(build.positive());
    if (is(m, CMD.STATUS_INFORMATION)) {
      try {
        const si = parseStatusInformation(m.data);
        result = si.resultCode;
        info = { ...(si.amountCents !== undefined ? { amountCents: si.amountCents } : {}), ...(si.trace !== undefined ? { trace: si.trace } : {}) };
      } catch {
        result = RESULT.PROTOCOL_ERROR;
      }
    } else if (is(m, CMD.COMPLETION)) return { ok: result === 0, resultCode: result, ...info };
    else if (is(m, CMD.ABORT)) return { ok: false, resultCode: parseAbort(m.data) };
  }
}
