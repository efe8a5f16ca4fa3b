import type { PresentableCardId } from '../../contract/fixture-technicians.js';

/** What a tester can do with an emulated card reader at run time (in-process or wire-level). */
export interface CardEmulatorControl {
  fixtures(): { id: PresentableCardId; label: string }[];
  /** Put a fixture card on the reader (removing any card there). Card state persists per fixture
   * for the life of the emulator, so a topped-up card shows its new balance when presented again. */
  present(fixtureId: PresentableCardId): Promise<void>;
  remove(): Promise<void>;
  presented(): PresentableCardId | undefined;
  /** Restore every fixture card to its original contents. */
  resetFixtures(): Promise<void>;
}
