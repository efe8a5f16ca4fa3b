/**
 * Reading and writing the card format over a block-level session (authenticate, read a block,
 * write a block). Every card reader (in-process emulator, nfc-pcsc driver) supplies a BlockSession
 * and uses these two functions, so the read-only-what-is-needed and tear-safe write order are
 * implemented once.
 */
import type { CardIdentity, CardModel, CardSection } from '../../contract/card.js';
import { ALL_SECTIONS } from '../../contract/card.js';
import { CardError, type CardUpdate } from './card-reader.js';
import { type CardIndex, chooseIndex, decodeRecords, planCardUpdate, type WritePlan } from './codec.js';
import type { KeyProvider, KeyType } from './keys.js';
import { AREA_LAYOUT, type Area, areasForSections, BLOCK_SIZE, INDEX_BLOCKS, sectorOfBlock } from './layout.js';

/** One card in the field, block by block. Implementations throw CardError: 'card-gone' when the
 * card left, 'wrong-key' when authentication or access is refused, 'io' for anything else. */
export interface BlockSession {
  /** The chip's UID (upper-case hex), as the reader reported it on arrival. */
  readonly uid: string;
  authenticate(sector: number, keyType: KeyType, key: Uint8Array): Promise<void>;
  readBlock(block: number): Promise<Uint8Array>;
  writeBlock(block: number, data: Uint8Array): Promise<void>;
}

/** Authenticates lazily: key A for reading, key B for writing, once per sector visit. */
export class SectorAccess {
  private authed: { sector: number; key: KeyType } | undefined;
  constructor(
    private readonly session: BlockSession,
    private readonly keys: KeyProvider,
  ) {}

  private async ensure(sector: number, key: KeyType): Promise<void> {
    if (this.authed && this.authed.sector === sector && (this.authed.key === key || this.authed.key === 'B')) return;
    this.authed = undefined;
    await this.session.authenticate(sector, key, this.keys.sectorKey(this.session.uid, sector, key));
    this.authed = { sector, key };
  }

  async read(block: number): Promise<Uint8Array> {
    await this.ensure(sectorOfBlock(block), 'A');
    const data = await this.session.readBlock(block);
    if (data.length !== BLOCK_SIZE) throw new CardError('io', `block ${block}: reader returned ${data.length} bytes`);
    return data;
  }

  async write(block: number, data: Uint8Array): Promise<void> {
    await this.ensure(sectorOfBlock(block), 'B');
    await this.session.writeBlock(block, data);
  }
}

export interface ReadResult {
  model: CardModel;
  index: CardIndex;
}

/** Read the index, then only the current copies of the areas the sections need. */
export async function readCard(
  session: BlockSession,
  keys: KeyProvider,
  sections: readonly CardSection[] = ALL_SECTIONS,
  access: SectorAccess = new SectorAccess(session, keys),
): Promise<ReadResult> {
  const half0 = await access.read(INDEX_BLOCKS[0]);
  const half1 = await access.read(INDEX_BLOCKS[1]);
  const index = chooseIndex(half0, half1);
  const raw: Partial<Record<Area, Uint8Array>> = {};
  for (const a of areasForSections(sections)) {
    const list = AREA_LAYOUT[a].blocks[index.copy[a]];
    const bytes = new Uint8Array(index.blocks[a] * BLOCK_SIZE);
    for (let i = 0; i < index.blocks[a]; i++) bytes.set(await access.read(list[i]!), i * BLOCK_SIZE);
    raw[a] = bytes;
  }
  return { model: decodeRecords(session.uid, index, raw, keys), index };
}

export interface WriteResult {
  model: CardModel;
  plan: WritePlan;
}

/**
 * The second-tap rule and the tear-safe write: refuse (CardError 'wrong-card') before a single
 * block is written unless UID and card number match `expected`; then write the inactive copies
 * block by block and flip the index last.
 */
export async function writeCard(
  session: BlockSession,
  keys: KeyProvider,
  expected: CardIdentity,
  update: CardUpdate,
): Promise<WriteResult> {
  if (session.uid !== expected.uid) {
    throw new CardError('wrong-card', 'another card is on the reader than the one read before (UID differs)');
  }
  const access = new SectorAccess(session, keys);
  const { model, index } = await readCard(session, keys, ALL_SECTIONS, access);
  if (model.cardNumber !== expected.cardNumber) {
    throw new CardError('wrong-card', 'another card is on the reader than the one read before (card number differs)');
  }
  const next = update(structuredClone(model));
  const plan = planCardUpdate(index, model, next, keys);
  for (const w of plan.writes) await access.write(w.block, w.data);
  return { model: plan.model, plan };
}
