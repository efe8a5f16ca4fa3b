import { describe, expect, it } from 'vitest';
import { Approvals, newApproval, settle, unclearApproval } from './approvals.js';
import { LEDGER_KEEP, forgetOldestFinished } from './ledger-bound.js';

const approval = (id: string) => newApproval(id, 500, { resultCode: 0, amountCents: 500 }, { resultCode: 0 });

describe('the driver ledger stays bounded for as long as the kiosk runs', () => {
  it('keeps at most LEDGER_KEEP finished approvals: the oldest committed/reversed ones are forgotten, the newest kept', () => {
    const ledger = new Approvals(undefined);
    for (let i = 0; i < LEDGER_KEEP + 100; i++) {
      const a = approval(`p${i}`);
      ledger.set(a.paymentId, a);
      settle(a, i % 2 ? 'committed' : 'reversed');
    }
    // The last one is filed before it is settled, so the bound applies to the ones before it.
    expect(ledger.size).toBeLessThanOrEqual(LEDGER_KEEP + 1);
    expect(ledger.has('p0')).toBe(false);
    expect(ledger.get(`p${LEDGER_KEEP + 99}`)?.state).toBe('committed');
    expect(ledger.get(`p${LEDGER_KEEP + 50}`)?.state).toBe('reversed');
  });

  it('never forgets an approval still awaiting the decision or an unclear one, however many finished ones follow', () => {
    const ledger = new Approvals(undefined);
    const open = approval('open-one');
    ledger.set(open.paymentId, open);
    ledger.set('unclear-one', unclearApproval('unclear-one', 700));
    for (let i = 0; i < LEDGER_KEEP * 3; i++) {
      const a = approval(`p${i}`);
      settle(a, 'committed');
      ledger.set(a.paymentId, a);
    }
    expect(ledger.get('open-one')?.state).toBe('awaiting-decision');
    expect(ledger.get('unclear-one')?.state).toBe('unclear');
    expect(ledger.size).toBe(LEDGER_KEEP);
  });

  it('forgets nothing while the ledger holds only open entries, even past the bound', () => {
    const m = new Map<string, { open: boolean }>();
    for (let i = 0; i < LEDGER_KEEP + 10; i++) m.set(`p${i}`, { open: true });
    forgetOldestFinished(m, (x) => !x.open);
    expect(m.size).toBe(LEDGER_KEEP + 10);
  });
});
