/**
 * The set of fixture cards an emulator can present: one simulated chip per fixture, made on first
 * use and kept for the emulator's life (a topped-up card shows its new balance when presented
 * again), until reset.
 */
import { FIXTURE_CARD_IDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import { FIXTURE_LABELS, fixtureCardImage } from './fixtures.js';
import type { KeyProvider } from './keys.js';
import { MifareClassic4kChip } from './mifare-classic.js';

export class FixtureDeck {
  private readonly chips = new Map<FixtureCardId, MifareClassic4kChip>();
  constructor(private readonly keys: KeyProvider) {}

  list(): { id: FixtureCardId; label: string }[] {
    return FIXTURE_CARD_IDS.map((id) => ({ id, label: FIXTURE_LABELS[id] }));
  }

  chip(id: FixtureCardId): MifareClassic4kChip {
    if (!FIXTURE_CARD_IDS.includes(id)) throw new RangeError(`unknown fixture card ${String(id)}`);
    let chip = this.chips.get(id);
    if (!chip) {
      chip = new MifareClassic4kChip(fixtureCardImage(id, this.keys));
      this.chips.set(id, chip);
    }
    return chip;
  }

  has(id: FixtureCardId): boolean {
    return this.chips.has(id);
  }

  reset(): void {
    this.chips.clear();
  }
}
