// The production Electron bundle leaves out the reference back office, the card emulators and the
// card/order fixtures. main/composition.ts and hardware/card/index.ts import them statically (they
// serve the development start), so the bundler (scripts/package-electron.mjs) swaps each module
// for the stand-in below: same export names, and any use fails at once with a clear error
// (fail closed) instead of a missing-module crash. A production kiosk configures real hardware and
// a remote back office and never reaches them.

const MESSAGE = (what) =>
  `${what} is not part of the production package: configure hardware.mode "real" and backOffice.mode "remote" (KIOSK_CONFIG)`;

function stub(what, exports) {
  const lines = [`const fail = () => { throw new Error(${JSON.stringify(MESSAGE(what))}); };`];
  for (const [name, kind] of Object.entries(exports)) {
    if (kind === 'async') lines.push(`export async function ${name}() { fail(); }`);
    else if (kind === 'class') lines.push(`export class ${name} { constructor() { fail(); } }`);
    else if (kind === 'function') lines.push(`export function ${name}() { fail(); }`);
    else if (kind === 'emptyRecord') lines.push(`export const ${name} = Object.freeze({});`);
    else if (kind === 'emptyList') lines.push(`export const ${name} = Object.freeze([]);`);
  }
  return lines.join('\n') + '\n';
}

/** Repository-relative source path -> stand-in module source. */
export const ABSENT_MODULES = {
  'backoffice/server.ts': stub('the reference back office', { startBackOffice: 'async' }),
  'hardware/card/emulated-reader.ts': stub('the emulated card reader', { EmulatedCardReader: 'class' }),
  'hardware/card/wire/wire-emulator.ts': stub('the wire-level card emulator', { WireCardEmulator: 'class' }),
  'hardware/card/fixtures.ts': stub('the card fixtures', {
    FIXTURE_CARD_MODELS: 'emptyRecord',
    FIXTURE_LABELS: 'emptyRecord',
    fixtureCardModel: 'function',
    fixtureCardImage: 'function',
    FIXTURE_CARD_IDS: 'emptyList',
  }),
  'hardware/card/fixture-deck.ts': stub('the card fixture deck', { FixtureDeck: 'class' }),
  'contract/fixture-cards.ts': stub('the fixture cards', { FIXTURE_CARDS: 'emptyRecord', FIXTURE_CARD_IDS: 'emptyList' }),
  // Issue 13: the fixture technicians (ids, PINs) and their cards.
  'contract/fixture-technicians.ts': stub('the fixture technicians', {
    FIXTURE_TECHNICIANS: 'emptyRecord',
    TECHNICIAN_CARDS: 'emptyRecord',
    TECHNICIAN_CARD_IDS: 'emptyList',
    PRESENTABLE_CARD_IDS: 'emptyList',
    isTechnicianCardId: 'function',
  }),
};
