/**
 * Tester control over the wire-level virtual card: present and remove fixture cards on the
 * virtual reader behind pcscd (the kiosk sees them through the real nfc-pcsc driver).
 */
import type { CardEmulatorControl } from '../emulator-control.js';
import { FixtureDeck } from '../fixture-deck.js';
import type { PresentableCardId } from '../../../contract/fixture-technicians.js';
import type { KeyProvider } from '../keys.js';
import { MifareClassic4kChip } from '../mifare-classic.js';
import type { CardImage } from '../codec.js';
import { VpcdVirtualCard, type VpcdVirtualCardOptions } from './vpcd-card.js';

export class WireCardEmulator implements CardEmulatorControl {
  readonly card: VpcdVirtualCard;
  private readonly deck: FixtureDeck;
  private current: PresentableCardId | undefined;

  constructor(keys: KeyProvider, opts: VpcdVirtualCardOptions = {}) {
    this.deck = new FixtureDeck(keys);
    this.card = new VpcdVirtualCard(opts);
  }

  fixtures(): { id: PresentableCardId; label: string }[] {
    return this.deck.list();
  }

  async present(fixtureId: PresentableCardId): Promise<void> {
    const chip = this.deck.chip(fixtureId);
    await this.card.eject();
    this.current = undefined;
    await this.card.insert(chip);
    this.current = fixtureId;
  }

  /** Present any card image (not a fixture). */
  async presentImage(image: CardImage): Promise<void> {
    await this.card.eject();
    this.current = undefined;
    await this.card.insert(new MifareClassic4kChip(image));
  }

  async remove(): Promise<void> {
    this.current = undefined;
    await this.card.eject();
  }

  presented(): PresentableCardId | undefined {
    // A tear (or tester) may have taken the card away underneath us.
    if (this.current !== undefined && this.card.inserted() !== this.deck.chip(this.current)) this.current = undefined;
    return this.current;
  }

  async resetFixtures(): Promise<void> {
    this.deck.reset();
    if (this.current !== undefined) this.card.replaceChip(this.deck.chip(this.current));
  }

  fixtureImage(id: PresentableCardId): CardImage | undefined {
    return this.deck.has(id) ? this.deck.chip(id).image() : undefined;
  }

  async close(): Promise<void> {
    await this.card.close();
  }
}
