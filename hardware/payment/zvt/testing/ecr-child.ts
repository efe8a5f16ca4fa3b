/**
 * A kiosk-side ZVT driver in its own process, for tests that kill the ECR (SIGKILL) at a chosen
 * step and then resolve the payment from a fresh process. Commands on stdin as JSON lines
 * ({"cmd":"authorize","paymentId":"p","amountCents":100} | {"cmd":"commit","paymentId":"p"} |
 * {"cmd":"rollback","paymentId":"p"}); events on stdout as JSON lines. Config as JSON in argv[2],
 * serial path in argv[3]. With argv[4] = "die-in-decision-hook" the process kills itself inside
 * onDecision: the decision is journaled but never sent.
 */
import { createInterface } from 'node:readline';
import { systemClock } from '../../../../contract/time.js';
import { paymentHardwareConfigSchema } from '../../config.js';
import { realScheduler } from '../../scheduler.js';
import { startZvtDriver } from '../hardware.js';

const config = paymentHardwareConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const path = process.argv[3]!;
const dieInHook = process.argv[4] === 'die-in-decision-hook';
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

const driver = await startZvtDriver(config, path, {
  clock: systemClock,
  scheduler: realScheduler(),
  onDecision: (paymentId, decision) => {
    out({ event: 'decision', paymentId, decision });
    if (dieInHook) {
      process.kill(process.pid, 'SIGKILL');
      // never go on to send the decision, even for the moment the signal takes to land
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    }
  },
});
out({ event: 'ready' });
createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string; paymentId: string; amountCents?: number };
  const done = (p: Promise<unknown>) =>
    p.then(
      (r) => out({ event: c.cmd, paymentId: c.paymentId, result: r ?? null }),
      (e: Error) => out({ event: c.cmd, paymentId: c.paymentId, error: e.message }),
    );
  if (c.cmd === 'authorize') void done(driver.authorize({ paymentId: c.paymentId, amountCents: c.amountCents ?? 0 }, (p) => out({ event: 'prompt', prompt: p })));
  else if (c.cmd === 'commit') void done(driver.commit(c.paymentId));
  else if (c.cmd === 'rollback') void done(driver.rollback(c.paymentId));
});
