/**
 * The derived-key cache's lookup cost against the number of secrets it holds:
 * `npm run bench:derived-keys`. Side by side in one run: contract/record-crypto.ts's deriveKey (two
 * generations, a hit is one Map get) and the cache it replaced (one Map kept in least-recently-used
 * order by delete + set on every hit, reproduced here). "batches": 202 lookups of one secret, then
 * another's (a back office checking one kiosk's batch of 200 records, its request and its answer);
 * "rotating": every secret held in turn; "same": one secret, 20,000 times in a row.
 */
import { deriveKey } from '../contract/record-crypto.js';

const SIZES = [10, 1_000, 5_000, 20_000];
const LOOKUPS = 20_000;

/** The replaced cache: delete + set moves a hit to the end of the Map (its LRU order). */
function lruByDeleteSet(size: number) {
  const map = new Map<string, object>();
  return (secret: string) => {
    const hit = map.get(secret);
    if (hit) {
      map.delete(secret);
      map.set(secret, hit);
      return hit;
    }
    if (map.size >= size) map.delete(map.keys().next().value!);
    const v = {};
    map.set(secret, v);
    return v;
  };
}

function perLookupUs(lookup: (s: string) => unknown, secrets: string[], pick: (i: number) => string): number {
  for (let i = 0; i < 1000; i++) lookup(pick(i)); // warm
  const t0 = performance.now();
  for (let i = 0; i < LOOKUPS; i++) lookup(pick(i));
  return ((performance.now() - t0) * 1000) / LOOKUPS;
}

console.log('secrets held | deriveKey batches / rotating / same (µs a lookup) | replaced LRU batches / rotating / same');
for (const n of SIZES) {
  const secrets = Array.from({ length: n }, (_, i) => `bench-secret-${n}-${i}-0123456789abcdef`);
  for (const s of secrets) deriveKey(s, 'record');
  const old = lruByDeleteSet(20_000);
  for (const s of secrets) old(s);
  const batches = (i: number) => secrets[(Math.floor(i / 202) * 7919) % n]!;
  const rotating = (i: number) => secrets[i % n]!;
  const same = () => secrets[0]!;
  const derive = (s: string) => deriveKey(s, 'record');
  const row = [derive, old].flatMap((lookup) => [batches, rotating, same].map((pick) => perLookupUs(lookup, secrets, pick))).map((x) => x.toFixed(2).padStart(6));
  console.log(`${String(n).padStart(12)} | ${row.slice(0, 3).join(' / ')} | ${row.slice(3).join(' / ')}`);
}
