/**
 * What both card-reader drivers (the emulated reader and the PC/SC driver) share above their
 * block transport: the listeners, one card operation at a time, and read/write through card-io
 * (which does the second-tap identity check and the write plan). One piece, so the two drivers
 * cannot drift apart in how they order operations or report a write.
 */
import type { CardIdentity, CardModel, CardSection } from '../../contract/card.js';
import { ALL_SECTIONS } from '../../contract/card.js';
import type { CardReaderEvent, CardUpdate } from './card-reader.js';
import { type BlockSession, readCard, writeCard } from './card-io.js';
import type { KeyProvider } from './keys.js';
import { type CardIdentification, identifyCard } from './technician-card.js';

export interface CardReaderCoreOptions {
  keys: KeyProvider;
  log?: (msg: string, extra?: object) => void;
}

export class CardReaderCore {
  private readonly listeners = new Set<(e: CardReaderEvent) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `session` opens a block session on the card now on the reader, or throws the driver's CardError. */
  constructor(
    private readonly opts: CardReaderCoreOptions,
    private readonly session: () => BlockSession,
  ) {}

  subscribe(listener: (event: CardReaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  read(sections: readonly CardSection[] = ALL_SECTIONS): Promise<CardModel> {
    return this.serial(async () => (await readCard(this.session(), this.opts.keys, sections)).model);
  }

  /** Issue 13: a traveller's card or a technician card (never throws: see technician-card.ts). */
  identify(): Promise<CardIdentification> {
    return this.serial(() => identifyCard(this.session(), this.opts.keys)).catch(() => ({ format: 'traveller' }) as const);
  }

  write(expected: CardIdentity, update: CardUpdate): Promise<CardModel> {
    return this.serial(async () => {
      const r = await writeCard(this.session(), this.opts.keys, expected, update);
      if (r.plan.writes.length) this.opts.log?.('card written', { blocks: r.plan.writes.length, areas: r.plan.changedAreas });
      return r.model;
    });
  }

  /** Tell every listener; one that throws is logged and does not stop the others. */
  emit(e: CardReaderEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.opts.log?.('card reader listener threw', { error: String(err) });
      }
    }
  }

  /** Card operations run one after another; a failed one does not block the next. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
