/**
 * The set of fixture cards an emulator can present: one simulated chip per fixture, made on first
 * use and kept for the emulator's life (a topped-up card shows its new balance when presented
 * again), until reset.
 */
import { FIXTURE_CARD_IDS } from '../../contract/fixture-cards.js';
import { isTechnicianCardId, PRESENTABLE_CARD_IDS, TECHNICIAN_CARD_IDS, type PresentableCardId } from '../../contract/fixture-technicians.js';
import { FIXTURE_LABELS, fixtureCardImage } from './fixtures.js';
import { technicianCardImage } from './technician-card.js';
import type { KeyProvider } from './keys.js';
import { MifareClassic4kChip } from './mifare-classic.js';

/** Issue 13: the technician cards (emulation operator key: never valid on a real kiosk). */
const TECHNICIAN_LABELS: Record<(typeof TECHNICIAN_CARD_IDS)[number], string> = {
  technician: 'Technician card (PIN 2580)',
  'technician-revoked': 'Technician card, revoked technician',
  'technician-expired': 'Technician card, credential expired',
};

export class FixtureDeck {
  private readonly chips = new Map<PresentableCardId, MifareClassic4kChip>();
  constructor(private readonly keys: KeyProvider) {}

  list(): { id: PresentableCardId; label: string }[] {
    return [...FIXTURE_CARD_IDS.map((id) => ({ id, label: FIXTURE_LABELS[id] })), ...TECHNICIAN_CARD_IDS.map((id) => ({ id, label: TECHNICIAN_LABELS[id] }))];
  }

  chip(id: PresentableCardId): MifareClassic4kChip {
    if (!PRESENTABLE_CARD_IDS.includes(id)) throw new RangeError(`unknown fixture card ${String(id)}`);
    let chip = this.chips.get(id);
    if (!chip) {
      chip = new MifareClassic4kChip(isTechnicianCardId(id) ? technicianCardImage(id, this.keys) : fixtureCardImage(id, this.keys));
      this.chips.set(id, chip);
    }
    return chip;
  }

  has(id: PresentableCardId): boolean {
    return this.chips.has(id);
  }

  reset(): void {
    this.chips.clear();
  }
}
