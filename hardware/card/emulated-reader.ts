/**
 * The in-process emulated card reader: fixture cards as simulated MIFARE Classic 4K chips, read
 * and written through the same block session and card-io code as the real driver. Testers (and
 * tests) present and remove cards at run time; tests can cut the card away after any operation.
 */
import type { Clock } from '../../contract/time.js';
import type { CardIdentity, CardModel, CardSection } from '../../contract/card.js';
import { CardError, MIFARE_CLASSIC_4K_ATR_HEX, type CardReader, type CardReaderEvent, type CardUpdate } from './card-reader.js';
import type { CardIdentification } from './technician-card.js';
import type { BlockSession } from './card-io.js';
import type { CardImage } from './codec.js';
import type { CardEmulatorControl } from './emulator-control.js';
import { FixtureDeck } from './fixture-deck.js';
import type { PresentableCardId } from '../../contract/fixture-technicians.js';
import type { KeyProvider, KeyType } from './keys.js';
import { firstBlockOfSector } from './layout.js';
import { MifareClassic4kChip } from './mifare-classic.js';
import { CardReaderCore } from './reader-core.js';

export interface EmulatedCardReaderOptions {
  keys: KeyProvider;
  clock: Clock;
  log?: (msg: string, extra?: object) => void;
  readerName?: string;
}

/** Counts chip operations (authenticate, read block, write block) and can cut the card away. */
class ChipSession implements BlockSession {
  constructor(
    private readonly reader: EmulatedCardReader,
    private readonly chip: MifareClassic4kChip,
  ) {}
  get uid(): string {
    return this.chip.uid;
  }
  async authenticate(sector: number, keyType: KeyType, key: Uint8Array): Promise<void> {
    this.reader.beforeOperation(this.chip);
    const ok = this.chip.authenticate(firstBlockOfSector(sector), keyType, key);
    this.reader.afterOperation();
    if (!ok) throw new CardError('wrong-key', `authentication with key ${keyType} refused for sector ${sector}`);
  }
  async readBlock(block: number): Promise<Uint8Array> {
    this.reader.beforeOperation(this.chip);
    const data = this.chip.readBlock(block);
    this.reader.afterOperation();
    if (!data) throw new CardError('wrong-key', `read of block ${block} refused`);
    return data;
  }
  async writeBlock(block: number, data: Uint8Array): Promise<void> {
    this.reader.beforeOperation(this.chip);
    const ok = this.chip.writeBlock(block, data);
    this.reader.afterOperation();
    if (!ok) throw new CardError('wrong-key', `write of block ${block} refused`);
  }
}

export class EmulatedCardReader implements CardReader, CardEmulatorControl {
  private readonly core: CardReaderCore;
  private readonly deck: FixtureDeck;
  private current: { id: PresentableCardId | undefined; chip: MifareClassic4kChip } | undefined;
  private started = false;
  private tearBudget: number | undefined;
  private ops = 0;
  readonly readerName: string;

  constructor(private readonly opts: EmulatedCardReaderOptions) {
    this.readerName = opts.readerName ?? 'Emulated MIFARE reader';
    this.deck = new FixtureDeck(opts.keys);
    this.core = new CardReaderCore(opts, () => this.session());
  }

  // --- CardReader ---------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.emit({ type: 'reader-status', ready: true, readerName: this.readerName });
    if (this.current) this.emit({ type: 'card-presented', uid: this.current.chip.uid });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.emit({ type: 'reader-status', ready: false, readerName: this.readerName, detail: 'stopped' });
  }

  subscribe(listener: (event: CardReaderEvent) => void): () => void {
    return this.core.subscribe(listener);
  }

  currentCard(): string | undefined {
    return this.current?.chip.uid;
  }

  private atr: string | undefined;
  lastAtr(): string | undefined {
    return this.atr;
  }

  read(sections?: readonly CardSection[]): Promise<CardModel> {
    return this.core.read(sections);
  }

  identify(): Promise<CardIdentification> {
    return this.core.identify();
  }

  write(expected: CardIdentity, update: CardUpdate): Promise<CardModel> {
    return this.core.write(expected, update);
  }

  // --- CardEmulatorControl ------------------------------------------------------------------

  fixtures(): { id: PresentableCardId; label: string }[] {
    return this.deck.list();
  }

  async present(fixtureId: PresentableCardId): Promise<void> {
    this.place(fixtureId, this.deck.chip(fixtureId));
  }

  /** Present any card image (not one of the fixtures), e.g. a second card for the second-tap rule. */
  async presentImage(image: CardImage): Promise<void> {
    this.place(undefined, new MifareClassic4kChip(image));
  }

  async remove(): Promise<void> {
    const was = this.current;
    if (!was) return;
    this.current = undefined;
    was.chip.reset();
    if (this.started) this.emit({ type: 'card-removed', uid: was.chip.uid });
  }

  presented(): PresentableCardId | undefined {
    return this.current?.id;
  }

  async resetFixtures(): Promise<void> {
    this.deck.reset();
    const id = this.current?.id;
    if (id !== undefined) this.current = { id, chip: this.deck.chip(id) };
  }

  // --- test and tester aids -----------------------------------------------------------------

  /** Tear at a boundary: the next `n` chip operations (n >= 1) reach the card, then the card leaves
   * the field before the n-th answer gets back (that operation reports card-gone). */
  tearAfterOperations(n: number | undefined): void {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new RangeError('tear after at least one operation');
    this.tearBudget = n;
  }

  /** Chip operations (authenticate, read block, write block) since the reader was made. */
  operationCount(): number {
    return this.ops;
  }

  /** A copy of a fixture card's memory as it is now. */
  fixtureImage(id: PresentableCardId): CardImage | undefined {
    return this.deck.has(id) ? this.deck.chip(id).image() : undefined;
  }

  // --- internals ----------------------------------------------------------------------------

  /** Called by the session before each chip operation. */
  beforeOperation(chip: MifareClassic4kChip): void {
    if (this.current?.chip !== chip) throw new CardError('card-gone', 'the card left the field');
    this.ops++;
  }

  /** Called by the session after each chip operation: a pending tear takes the card away now. */
  afterOperation(): void {
    if (this.tearBudget === undefined) return;
    this.tearBudget--;
    if (this.tearBudget > 0) return;
    this.tearBudget = undefined;
    void this.remove();
    throw new CardError('card-gone', 'the card left the field before it answered');
  }

  private place(id: PresentableCardId | undefined, chip: MifareClassic4kChip): void {
    if (this.current) {
      const old = this.current;
      this.current = undefined;
      old.chip.reset();
      if (this.started) this.emit({ type: 'card-removed', uid: old.chip.uid });
    }
    this.current = { id, chip };
    this.atr = MIFARE_CLASSIC_4K_ATR_HEX;
    this.opts.log?.('card presented', { fixture: id ?? 'custom' });
    if (this.started) this.emit({ type: 'card-presented', uid: chip.uid });
  }

  private session(): BlockSession {
    if (!this.started) throw new CardError('reader-unavailable', 'the card reader is not started');
    if (!this.current) throw new CardError('no-card', 'no card on the reader');
    return new ChipSession(this, this.current.chip);
  }

  private emit(e: CardReaderEvent): void {
    this.core.emit(e);
  }
}
