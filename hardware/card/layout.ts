/**
 * MIFARE Classic 4K geometry and the kiosk's allocation of record areas to sectors.
 * docs/card-format.md describes the same layout sector by sector; keep the two in step.
 */
import type { CardSection } from '../../contract/card.js';

export const BLOCK_SIZE = 16;
export const BLOCK_COUNT = 256;
export const SECTOR_COUNT = 40;
export const IMAGE_SIZE = BLOCK_SIZE * BLOCK_COUNT;

/** Sectors 0-31 have 4 blocks, sectors 32-39 have 16. */
export function blocksInSector(sector: number): number {
  return sector < 32 ? 4 : 16;
}

export function firstBlockOfSector(sector: number): number {
  return sector < 32 ? sector * 4 : 128 + (sector - 32) * 16;
}

export function sectorOfBlock(block: number): number {
  return block < 128 ? Math.floor(block / 4) : 32 + Math.floor((block - 128) / 16);
}

export function trailerBlockOfSector(sector: number): number {
  return firstBlockOfSector(sector) + blocksInSector(sector) - 1;
}

export function isTrailerBlock(block: number): boolean {
  return trailerBlockOfSector(sectorOfBlock(block)) === block;
}

/** Data blocks (every block but the trailer) of a run of sectors, in order. */
export function dataBlocksOfSectors(sectors: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of sectors) {
    const first = firstBlockOfSector(s);
    for (let b = first; b < trailerBlockOfSector(s); b++) out.push(b);
  }
  return out;
}

/** Sector 0: block 0 is the manufacturer block, blocks 1-2 carry the format header. */
export const MANUFACTURER_BLOCK = 0;
export const FORMAT_HEADER_BLOCKS = [1, 2] as const;
/** Sector 1: the double-buffered index (two halves) in blocks 4 and 5; block 6 is reserved. */
export const INDEX_SECTOR = 1;
export const INDEX_BLOCKS = [4, 5] as const;

/**
 * The record areas. Each has two copies (0 and 1); the index says which copy is current.
 * `refs` is the credit-ref log and the seal (write counter + MAC), docs/card-format.md.
 */
export type Area = 'identity' | 'purse' | 'history' | 'products' | 'refs';
export const AREAS: readonly Area[] = ['identity', 'purse', 'history', 'products', 'refs'];
export const AREA_IDS: Record<Area, number> = { identity: 1, purse: 2, history: 3, products: 4, refs: 5 };
/** The areas the seal's MAC covers (every read reads them, so every read checks the MAC). */
export const SEALED_AREAS: readonly Area[] = ['identity', 'purse', 'products', 'refs'];

export interface AreaLayout {
  area: Area;
  /** Sectors of copy 0 and of copy 1. */
  sectors: readonly [readonly number[], readonly number[]];
  /** Data blocks of copy 0 and of copy 1, in order. */
  blocks: readonly [readonly number[], readonly number[]];
}

function area(a: Area, copy0: number[], copy1: number[]): AreaLayout {
  return { area: a, sectors: [copy0, copy1], blocks: [dataBlocksOfSectors(copy0), dataBlocksOfSectors(copy1)] };
}

export const AREA_LAYOUT: Record<Area, AreaLayout> = {
  identity: area('identity', [2], [3]),
  purse: area('purse', [4, 5, 6], [7, 8, 9]),
  history: area('history', [10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21]),
  products: area('products', [32, 33], [34, 35]),
  refs: area('refs', [36, 37], [38, 39]),
};

/** Sectors the kiosk does not use (left formatted with its keys so no one else can use them). */
export const RESERVED_SECTORS = [22, 23, 24, 25, 26, 27, 28, 29, 30, 31];

/**
 * Which areas a set of sections needs: the sealed areas always (identity carries the card number,
 * and the seal's MAC can only be checked over all of them), history only when asked for.
 */
export function areasForSections(sections: readonly CardSection[]): Area[] {
  const want = new Set<Area>(SEALED_AREAS);
  for (const s of sections) want.add(s);
  return AREAS.filter((a) => want.has(a));
}

/**
 * Access bytes 6-8 of every sector trailer the kiosk writes: data blocks readable with key A or B,
 * writable with key B only (C1C2C3 = 100); trailer: keys and access bits writable with key B only,
 * access bits readable with A or B (C1C2C3 = 011). The well-known "78 77 88".
 */
export const KIOSK_ACCESS_BYTES = Uint8Array.of(0x78, 0x77, 0x88);
/** Factory transport configuration: everything with key A = FF..FF. */
export const TRANSPORT_ACCESS_BYTES = Uint8Array.of(0xff, 0x07, 0x80);
