/**
 * The kiosk's configuration: one zod schema, validated where it enters. With no configuration at
 * all the kiosk runs: emulated hardware, a local back office started in process, data under
 * `.kiosk-data/`. Sources, later ones winning: the defaults below < a JSON file (`KIOSK_CONFIG`,
 * path) < environment variables (see ENV_VARS). Bad configuration is a ConfigError that says which
 * setting is wrong and why, never a crash deeper in.
 */
import { DEFAULT_TIME_ZONE } from '../domain/dates.js';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cardHardwareConfigSchema, type CardHardwareConfig } from '../hardware/card/index.js';
import { paymentHardwareConfigSchema, terminalCommitWindowMs, type ResolvedPaymentHardwareConfig } from '../hardware/payment/index.js';
import { DEFAULT_EXCLUSIVE_PRODUCT_GROUPS } from '../domain/order-rules.js';
import { DEFAULT_EMULATION_KEY_FILE, loadKeyFile } from '../hardware/card/index.js';
import { SECTOR_COUNT } from '../hardware/card/layout.js';
import { emulationOperatorPublicKey } from '../hardware/card/technician-card.js';

/** The shipped emulation operator key, by content (a copy under another name is still refused). */
export function isEmulationOperatorKey(pem: string): boolean {
  try {
    return createPublicKey(pem).equals(emulationOperatorPublicKey());
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

const hardwareMode = z.enum(['emulated', 'wire', 'real']);
export type HardwareMode = z.infer<typeof hardwareMode>;

const cardKind = z.enum(['personal', 'anonymous', 'business']);

const timingSchema = z
  .object({
    /** No touch for this long on an interactive screen: ask "do you need more time?". */
    inactivityMs: z.number().int().min(1000).default(60_000),
    /** How long that question stays before the kiosk returns to the start screen. */
    inactivityWarningMs: z.number().int().min(1000).default(20_000),
    /** Paid but not yet credited: how long to wait for the card before the payment is undone.
     * Must stay below the terminal's commit window (the terminal would undo it by itself). */
    creditWaitMs: z.number().int().min(1000).default(90_000),
    /** Confirmation screens (top-up done, payment undone) move on after this. */
    doneMs: z.number().int().min(500).default(10_000),
    /** The "take your card, thank you" screen. */
    goodbyeMs: z.number().int().min(200).default(4_000),
  })
  .prefault({});

const topUpSchema = z
  .object({
    amountsCents: z.array(z.number().int().positive().max(15_000)).min(1).max(8).default([500, 1000, 2000, 5000]),
    /** The highest balance a top-up may leave on a card (public OV-chipkaart terms: EUR 150). */
    maxBalanceCents: z.number().int().positive().max(15_000).default(15_000),
    /** domain.md: business cards travel on account and do not top up (assumption, kept here). */
    cardKinds: z.array(cardKind).default(['personal', 'anonymous']),
  })
  .prefault({});

const ordersSchema = z
  .object({
    /** Card kinds offered "collect orders" (domain.md: every kind; what a card may not load is listed with why). */
    cardKinds: z.array(cardKind).default(['personal', 'anonymous', 'business']),
    /** Products of which a card holds only one at a time per period (assumption: no seed lists them;
     * the same product with overlapping validity always conflicts). */
    exclusiveProductGroups: z
      .array(z.array(z.string().regex(/^[A-Z0-9-]{1,24}$/, 'product codes are 1-24 capitals, digits, dashes')).min(1))
      .default(() => DEFAULT_EXCLUSIVE_PRODUCT_GROUPS.map((g) => [...g])),
  })
  .prefault({});

const stationPassageSchema = z
  .object({
    /** Offer the free one-off station passage (beyond the seeds: what a real NS machine offers). */
    enabled: z.boolean().default(true),
    /** This kiosk's station code: the passage is valid here only. */
    stationCode: z.string().regex(/^[A-Z]{2,8}$/, 'a station code is 2-8 capital letters').default('UT'),
    /** Valid this long after it is loaded. */
    minutes: z.number().int().min(5).max(240).default(60),
    /** Offered when the balance is below this: the minimum to check in for a train journey
     * (assumption: EUR 20, NS's usual boarding rate; keep it in configuration). */
    belowBalanceCents: z.number().int().min(0).max(15_000).default(2000),
    /** NS-Business Cards travel on account: not offered by default. */
    cardKinds: z.array(cardKind).default(['personal', 'anonymous']),
  })
  .prefault({});

const baseSchema = z
  .object({
    /** This kiosk's id: journal records, back-office requests and card top-up records carry it. */
    kioskId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'letters, digits and dashes, at most 32')
      .default('NS-KIOSK-LOCAL-01'),
    /** Journal, back-office database, blocked-card cache and the kiosk secret live here. */
    dataDir: z.string().min(1).default('.kiosk-data'),
    /** The kiosk secret (signs journal records and back-office requests, keys card hashes).
     * Absent: generated once into `<dataDir>/kiosk-secret` and reused. */
    secret: z.string().min(32).optional(),
    /** One-time enrollment token from the operator (contract/enrollment.ts): used once, when the
     * kiosk has no secret yet and talks to a remote back office. */
    enrollmentToken: z.string().min(16).optional(),
    /** The kiosk's local time zone: decides "today" for expiry checks. */
    timeZone: z
      .string()
      .default(DEFAULT_TIME_ZONE)
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-CA', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown time zone'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    hardware: z
      .object({
        /** Sets both devices' mode unless a device says otherwise. */
        mode: hardwareMode.default('emulated'),
        /** Card reader settings (hardware/card/index.ts cardHardwareConfigSchema, minus `mode` if the same). */
        card: z.record(z.string(), z.unknown()).default({}),
        /** Payment terminal settings (hardware/payment/config.ts paymentHardwareConfigSchema). */
        payment: z.record(z.string(), z.unknown()).default({}),
      })
      .prefault({}),
    backOffice: z
      .object({
        /** local: start the reference back office in this process; remote: talk to `url`. */
        mode: z.enum(['local', 'remote']).default('local'),
        url: z.url().optional(),
        /** PEM file of the operator's CA: the only CA a remote `https` back office's certificate may
         * chain to (pinned; the system trust store is not used). Required with an https url. */
        caFile: z.string().min(1).optional(),
        /** Local mode: port of the in-process back office (0: any free port). */
        port: z.number().int().min(0).max(65535).default(0),
        /** Local mode: the in-process back office's engine. pglite (default): the back office's one
         * SQL dialect (PostgreSQL, the same migrations and queries as a server), embedded, opened in
         * the background once the kiosk has started (the kiosk works offline meanwhile; first open
         * seconds, reopen well under one). sqlite: the development store, open in milliseconds
         * (in-process unit-test rigs). */
        engine: z.enum(['pglite', 'sqlite']).default('pglite'),
        /** How stale the blocked-card list may get: a card blocked centrally is known here within
         * this (the list is polled a little more often: http-client.ts blockedPollLeadMs). */
        blockedRefreshMs: z.number().int().min(1000).default(60_000),
        /** Journal upload interval. */
        uploadIntervalMs: z.number().int().min(500).default(30_000),
        /** Issue 13: how often the technician list is synced (like the blocked list). */
        technicianRefreshMs: z.number().int().min(1000).default(60_000),
        /** Issue 13: how often the kiosk reports its health to the back office (fleet view). */
        heartbeatIntervalMs: z.number().int().min(1000).default(60_000),
        /** Issue 11: rotate the kiosk's enrolled key when it is older than this (days); unset: only on demand (rotate-key). */
        keyMaxAgeDays: z.number().int().min(1).max(3650).optional(),
      })
      .prefault({}),
    host: z
      .object({
        /** Browser host address. Loopback by default: the kiosk's own browser is the only client. */
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8765),
        /** Built renderer (vite build output). */
        rendererDir: z.string().min(1).default('dist/renderer'),
      })
      .prefault({}),
    /** The tester API (/tester/*). Allowed only when no device is real (see refineSafety); when
     * not set it is on only when no device is real and the back office is the in-process one, so a
     * forgotten setting can never leave it on near a real device. */
    tester: z.boolean().optional(),
    timing: timingSchema,
    topUp: topUpSchema,
    orders: ordersSchema,
    stationPassage: stationPassageSchema,
    /** Menu options every readable card gets besides the journeys it qualifies for. */
    menuOptions: z.array(z.enum(['balance'])).default(['balance']),
    /** Issue 13: the technicians' maintenance journey (main/maintenance/). */
    maintenance: z
      .object({
        /** PEM (SPKI) of the operator's Ed25519 key that signs technician cards. Absent: the
         * shipped emulation key (emulated and wire modes only; refused with a real device). */
        operatorPublicKeyFile: z.string().min(1).optional(),
        /** Wrong PINs before the card is locked out on this kiosk. */
        maxPinAttempts: z.number().int().min(1).max(10).default(5),
        /** How long a locked-out card stays locked out here. */
        lockoutMs: z.number().int().min(1000).default(15 * 60_000),
        /** A maintenance session untouched this long locks itself. */
        idleLockMs: z.number().int().min(5_000).default(3 * 60_000),
        /** How long a refusal (forged, revoked, locked out) stays on screen. */
        refusedMs: z.number().int().min(500).default(6_000),
      })
      .prefault({}),
    /** Issue 13: the kiosk's own health checks (main/health/). */
    health: z
      .object({
        /** How often the terminal, the journal's disk and the back office are checked. */
        checkIntervalMs: z.number().int().min(200).default(15_000),
        /** How often the journal's whole hash chain is verified (also at start). */
        chainCheckIntervalMs: z.number().int().min(1000).default(600_000),
        /** A probe (terminal status, back office) that has not answered by then counts as failed. */
        probeTimeoutMs: z.number().int().min(100).default(3_000),
        /** Below this much free disk the journal counts as not writable: out of service. */
        minFreeBytes: z.number().int().min(0).default(50 * 1024 * 1024),
        blockedList: z
          .object({
            /** A blocked-card list older than this is stale (assumption: a day). */
            maxAgeMs: z.number().int().min(1000).default(24 * 3600_000),
            /** serve: keep serving on the cached list (reported only); out-of-service: take no card. */
            whenStale: z.enum(['serve', 'out-of-service']).default('serve'),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.backOffice.mode === 'remote' && !c.backOffice.url)
      ctx.addIssue({ code: 'custom', path: ['backOffice', 'url'], message: "backOffice.mode 'remote' needs backOffice.url" });
    // Only these amounts may be paid (the runtime refuses any other): each one must be payable.
    if (new Set(c.topUp.amountsCents).size !== c.topUp.amountsCents.length)
      ctx.addIssue({ code: 'custom', path: ['topUp', 'amountsCents'], message: 'amounts must be different from each other' });
    for (const a of c.topUp.amountsCents)
      if (a > c.topUp.maxBalanceCents)
        ctx.addIssue({ code: 'custom', path: ['topUp', 'amountsCents'], message: `${a} is above topUp.maxBalanceCents (${c.topUp.maxBalanceCents})` });
  });

export type KioskConfigInput = z.input<typeof baseSchema>;

export interface KioskConfig extends Omit<z.output<typeof baseSchema>, 'hardware' | 'tester'> {
  /** Resolved: never true when a device is real. */
  tester: boolean;
  hardware: {
    mode: HardwareMode;
    card: CardHardwareConfig & { mode: HardwareMode };
    payment: ResolvedPaymentHardwareConfig;
  };
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix = ''): string {
  return issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validate a configuration object (defaults filled in). Throws ConfigError. */
export function parseConfig(input: unknown): KioskConfig {
  const base = baseSchema.safeParse(input ?? {});
  if (!base.success) throw new ConfigError(`invalid configuration: ${describeIssues(base.error.issues)}`);
  const c = base.data;
  const cardMode = (c.hardware.card['mode'] as HardwareMode | undefined) ?? c.hardware.mode;
  const card = cardHardwareConfigSchema.safeParse({ ...c.hardware.card, mode: cardMode });
  if (!card.success) throw new ConfigError(`invalid configuration: ${describeIssues(card.error.issues, 'hardware.card')}`);
  const payMode = (c.hardware.payment['mode'] as HardwareMode | undefined) ?? c.hardware.mode;
  const payment = paymentHardwareConfigSchema.safeParse({ ...c.hardware.payment, mode: payMode });
  if (!payment.success) throw new ConfigError(`invalid configuration: ${describeIssues(payment.error.issues, 'hardware.payment')}`);
  // Issue 12 window 7: the real terminal's window comes from its profile, never from an emulator setting.
  const commitWindowMs = terminalCommitWindowMs(payment.data);
  const windowSetting = payment.data.mode === 'real' ? 'hardware.payment.terminalProfile.commitWindowMs' : 'hardware.payment.commitWindowMs';
  if (c.timing.creditWaitMs >= commitWindowMs)
    throw new ConfigError(
      `invalid configuration: timing.creditWaitMs (${c.timing.creditWaitMs}) must be below ${windowSetting} (${commitWindowMs}), or the terminal undoes payments the kiosk still means to credit`,
    );
  const tester = c.tester ?? (cardMode !== 'real' && payMode !== 'real' && c.hardware.mode !== 'real' && c.backOffice.mode === 'local');
  const resolved: KioskConfig = {
    ...c,
    tester,
    hardware: { mode: c.hardware.mode, card: { ...card.data, mode: cardMode }, payment: payment.data },
  };
  const unsafe = safetyProblems(resolved);
  if (unsafe.length) throw new ConfigError(`unsafe configuration, the kiosk will not start: ${unsafe.join('; ')}`);
  return resolved;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/** Is this host name or address the machine itself (no network between)? */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * SHA-256 over every key of the shipped emulation key file (sector by sector, A then B):
 * production packages leave that file out (packaging/production-files.mjs), and there a copy of it
 * is still recognised by this digest. config-emulation-keys.test.ts keeps it equal to the file.
 */
export const EMULATION_KEY_SET_SHA256 = '322ed775fc4e6048a3992a7f7a6ce433a18fe7d646e450465efc62d0e0e9e1ed';

export function keySetDigest(keys: ReturnType<typeof loadKeyFile>): string {
  const h = createHash('sha256');
  for (let s = 0; s < SECTOR_COUNT; s++) for (const t of ['A', 'B'] as const) h.update(keys.key(s, t));
  return h.digest('hex');
}

/** The emulation keys, by content: a copy of the shipped file under another name is still refused. */
function usesEmulationKeys(keyFile: string): boolean {
  const keys = loadKeyFile(keyFile);
  if (!existsSync(DEFAULT_EMULATION_KEY_FILE)) return keySetDigest(keys) === EMULATION_KEY_SET_SHA256;
  const emulation = loadKeyFile(DEFAULT_EMULATION_KEY_FILE);
  for (let s = 0; s < SECTOR_COUNT; s++)
    for (const t of ['A', 'B'] as const)
      if (Buffer.from(keys.key(s, t)).equals(Buffer.from(emulation.key(s, t)))) return true;
  // The SAM secrets too: a copy of the file with new legacy keys but the emulation `sam` section
  // would still diversify every card's keys and seal every card with public secrets.
  const probe = '04000000000000';
  if (Buffer.from(keys.sectorKey(probe, 1, 'B')).equals(Buffer.from(emulation.sectorKey(probe, 1, 'B')))) return true;
  if (Buffer.from(keys.cardMac(probe, Uint8Array.of(0))).equals(Buffer.from(emulation.cardMac(probe, Uint8Array.of(0))))) return true;
  return false;
}

/**
 * The combinations that could lose money or expose cards, each refused with the setting named
 * (issue 11 finding 3). Structural: every rule is checked on the resolved configuration, so a
 * device-level override cannot slip past a top-level mode.
 */
export function safetyProblems(c: KioskConfig): string[] {
  const problems: string[] = [];
  const cardMode = c.hardware.card.mode;
  const payMode = c.hardware.payment.mode;
  const anyReal = cardMode === 'real' || payMode === 'real';
  if (c.hardware.mode === 'real') {
    if (cardMode !== 'real') problems.push(`hardware.card.mode is '${cardMode}' but hardware.mode is 'real': a real kiosk needs a real card reader`);
    if (payMode !== 'real')
      problems.push(`hardware.payment.mode is '${payMode}' but hardware.mode is 'real': an emulated terminal approves every payment (free top-ups)`);
  }
  if (anyReal || c.hardware.mode === 'real') {
    if (c.tester) problems.push('tester is on with a real device: the tester API may only steer emulated or wire devices');
    if (c.backOffice.mode !== 'remote') problems.push("backOffice.mode must be 'remote' (an https back office) with a real device, not the in-process reference one");
    else if (!c.backOffice.url?.startsWith('https:')) problems.push('backOffice.url must be https with a real device');
    // Issue 13: technician cards signed with the shipped emulation operator key never open a real kiosk.
    const opKey = c.maintenance.operatorPublicKeyFile;
    if (!opKey) problems.push("maintenance.operatorPublicKeyFile must name the operator's technician-card key with a real device, not the shipped emulation key");
    else {
      try {
        if (isEmulationOperatorKey(readFileSync(opKey, 'utf8')))
          problems.push(`maintenance.operatorPublicKeyFile ${opKey} is the shipped emulation operator key; a real kiosk needs the operator's own`);
      } catch (e) {
        problems.push(`maintenance.operatorPublicKeyFile: ${(e as Error).message}`);
      }
    }
    if (cardMode === 'real') {
      const keyFile = c.hardware.card.keyFile;
      if (!keyFile || path.resolve(keyFile) === DEFAULT_EMULATION_KEY_FILE)
        problems.push('hardware.card.keyFile must name the operator\'s card keys with a real card reader, not the shipped emulation keys');
      else {
        try {
          if (usesEmulationKeys(keyFile)) problems.push(`hardware.card.keyFile ${keyFile} holds emulation keys; a real card reader needs the operator's keys`);
        } catch (e) {
          problems.push(`hardware.card.keyFile: ${(e as Error).message}`);
        }
      }
    }
  }
  if (c.tester && !isLoopbackHost(c.host.host))
    problems.push(`host.host ${c.host.host} is not this machine: with the tester on the browser host binds to loopback only (turn tester off to bind elsewhere)`);
  if (c.backOffice.mode === 'remote' && c.backOffice.url) {
    const u = new URL(c.backOffice.url);
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname))
      problems.push(`backOffice.url ${u.origin} is plain http to another machine: use https with backOffice.caFile (plain http only to this machine)`);
    else if (u.protocol === 'https:' && !c.backOffice.caFile)
      problems.push("backOffice.caFile must name the operator's CA certificate (PEM) for an https back office: the kiosk trusts no other CA");
    else if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`backOffice.url must be https (got ${u.protocol})`);
    if (u.username || u.password) problems.push('backOffice.url must not carry credentials');
  }
  return problems;
}

/** Environment variables the kiosk reads, and where each lands in the configuration. */
export const ENV_VARS = {
  KIOSK_CONFIG: 'path of a JSON configuration file',
  KIOSK_ID: 'kioskId',
  KIOSK_DATA_DIR: 'dataDir',
  KIOSK_HARDWARE: 'hardware.mode (emulated | wire | real)',
  KIOSK_CARD_READER: 'hardware.card.readerName',
  KIOSK_PAYMENT_SERIAL: 'hardware.payment.serialPath',
  KIOSK_TERMINAL_BEHAVIOUR: 'hardware.payment.behaviour (emulators)',
  KIOSK_PAYMENT_PROMPT_DELAY_MS: 'hardware.payment.promptDelayMs (emulators)',
  KIOSK_HOST: 'host.host',
  KIOSK_PORT: 'host.port',
  KIOSK_RENDERER_DIR: 'host.rendererDir',
  KIOSK_BACKOFFICE_URL: 'backOffice.url (sets backOffice.mode to remote)',
  KIOSK_BACKOFFICE_CA: 'backOffice.caFile (PEM of the operator CA, pinned)',
  KIOSK_BACKOFFICE_ENGINE: 'backOffice.engine (in-process back office: pglite | sqlite)',
  KIOSK_CARD_KEYS: 'hardware.card.keyFile',
  KIOSK_ENROLL_TOKEN: 'enrollmentToken (one-time, from the operator)',
  KIOSK_KEY_MAX_AGE_DAYS: 'backOffice.keyMaxAgeDays (scheduled key rotation)',
  KIOSK_OPERATOR_KEY: "maintenance.operatorPublicKeyFile (PEM of the operator's technician-card key)",
  KIOSK_MAINTENANCE_IDLE_MS: 'maintenance.idleLockMs',
  KIOSK_INACTIVITY_MS: 'timing.inactivityMs',
  KIOSK_INACTIVITY_WARNING_MS: 'timing.inactivityWarningMs',
  KIOSK_CREDIT_WAIT_MS: 'timing.creditWaitMs',
  KIOSK_DONE_MS: 'timing.doneMs',
  KIOSK_GOODBYE_MS: 'timing.goodbyeMs',
  KIOSK_LOG_LEVEL: 'logLevel',
  KIOSK_TESTER: 'tester (true | false; default: on only with no real device and the local back office)',
  KIOSK_STATION: 'stationPassage.stationCode',
} as const;

type Json = Record<string, unknown>;

function setPath(target: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) o[k] = {};
    o = o[k] as Json;
  }
  o[keys[keys.length - 1]!] = value;
}

function envNumber(name: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`invalid configuration: ${name}=${JSON.stringify(raw)} is not a whole number`);
  return Number(raw.trim());
}

function envBoolean(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`invalid configuration: ${name}=${JSON.stringify(raw)} is not true/false`);
}

/** Overlay the environment onto a raw configuration object. */
export function applyEnv(raw: Json, env: NodeJS.ProcessEnv): Json {
  const out: Json = structuredClone(raw);
  const str: [string, string][] = [
    ['KIOSK_ID', 'kioskId'],
    ['KIOSK_DATA_DIR', 'dataDir'],
    ['KIOSK_HARDWARE', 'hardware.mode'],
    ['KIOSK_CARD_READER', 'hardware.card.readerName'],
    ['KIOSK_PAYMENT_SERIAL', 'hardware.payment.serialPath'],
    ['KIOSK_TERMINAL_BEHAVIOUR', 'hardware.payment.behaviour'],
    ['KIOSK_HOST', 'host.host'],
    ['KIOSK_RENDERER_DIR', 'host.rendererDir'],
    ['KIOSK_LOG_LEVEL', 'logLevel'],
    ['KIOSK_STATION', 'stationPassage.stationCode'],
    ['KIOSK_BACKOFFICE_CA', 'backOffice.caFile'],
    ['KIOSK_BACKOFFICE_ENGINE', 'backOffice.engine'],
    ['KIOSK_CARD_KEYS', 'hardware.card.keyFile'],
    ['KIOSK_ENROLL_TOKEN', 'enrollmentToken'],
    ['KIOSK_OPERATOR_KEY', 'maintenance.operatorPublicKeyFile'],
  ];
  for (const [name, p] of str) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(out, p, v);
  }
  const num: [string, string][] = [
    ['KIOSK_PORT', 'host.port'],
    ['KIOSK_KEY_MAX_AGE_DAYS', 'backOffice.keyMaxAgeDays'],
    ['KIOSK_PAYMENT_PROMPT_DELAY_MS', 'hardware.payment.promptDelayMs'],
    ['KIOSK_INACTIVITY_MS', 'timing.inactivityMs'],
    ['KIOSK_INACTIVITY_WARNING_MS', 'timing.inactivityWarningMs'],
    ['KIOSK_CREDIT_WAIT_MS', 'timing.creditWaitMs'],
    ['KIOSK_DONE_MS', 'timing.doneMs'],
    ['KIOSK_GOODBYE_MS', 'timing.goodbyeMs'],
    ['KIOSK_MAINTENANCE_IDLE_MS', 'maintenance.idleLockMs'],
  ];
  for (const [name, p] of num) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(out, p, envNumber(name, v));
  }
  if (env['KIOSK_TESTER']) setPath(out, 'tester', envBoolean('KIOSK_TESTER', env['KIOSK_TESTER']));
  if (env['KIOSK_BACKOFFICE_URL']) {
    setPath(out, 'backOffice.mode', 'remote');
    setPath(out, 'backOffice.url', env['KIOSK_BACKOFFICE_URL']);
  }
  return out;
}

function readJsonFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`configuration file ${file} must hold a JSON object`);
  return parsed as Json;
}

/**
 * Load the configuration: defaults < the JSON file named by KIOSK_CONFIG < environment variables.
 * Relative paths (dataDir, rendererDir) are resolved against `cwd`.
 */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): KioskConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = env['KIOSK_CONFIG'];
  const raw = file ? readJsonFile(path.resolve(cwd, file)) : {};
  const config = parseConfig(applyEnv(raw, env));
  return {
    ...config,
    dataDir: path.resolve(cwd, config.dataDir),
    host: { ...config.host, rendererDir: path.resolve(cwd, config.host.rendererDir) },
    backOffice: { ...config.backOffice, ...(config.backOffice.caFile ? { caFile: path.resolve(cwd, config.backOffice.caFile) } : {}) },
  };
}
