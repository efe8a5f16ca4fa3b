/**
 * THE composition root: the one place that builds a kiosk from configuration. It picks the card
 * and payment drivers (emulated | wire | real), opens the journal, starts or reaches the back
 * office, builds the services and the session runtime, runs start-up recovery, and hands a shell
 * exactly `{ bridge, tester?, start, stop }`. Shells (Electron, browser host) never reach past it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { startBackOffice, type BackOfficeServer } from '../backoffice/server.js';
import type { EmbeddedStart } from '../backoffice/embedded.js';
import { fork, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from './free-port.js';
import { fileURLToPath } from 'node:url';
import { setPriority } from 'node:os';
import { createCardHardware, type CardHardware } from '../hardware/card/index.js';
import type { CardEmulatorControl } from '../hardware/card/emulator-control.js';
import type { TerminalEmulatorControl } from '../hardware/payment/emulator-control.js';
import { createPaymentHardware, type PaymentHardware } from '../hardware/payment/index.js';
import { enrollKiosk } from './backoffice-client/enrollment.js';
import { openKeyRing, pruneKeyRing, resumeRotation, rotateKeyRing, scheduleKeyRotation } from './backoffice-client/key-ring.js';
import { createHttpBackOfficeClient, type HttpBackOfficeClient } from './backoffice-client/http-client.js';
import { BackOfficeUnavailableError, type BackOfficeClient } from './backoffice-client/types.js';
import type { KioskConfig } from './config.js';
import { secureDataDir } from './data-dir.js';
import { systemTime, type Clock, type Time } from '../contract/time.js';
import type { KioskBridge } from '../contract/bridge.js';
import { createKioskRuntime } from './core/kiosk-runtime.js';
import { cryptoRandom, type Random } from '../contract/random.js';
import { createCardWriteCheck } from './journal/card-write-check.js';
import { recoverUnfinished } from './journal/recovery.js';
import { newOperationId } from './money/ids.js';
import { createSettler } from './money/settler.js';
import { createJournalGuard, type JournalHealth } from './money/journal-guard.js';
import { checkChainAtStartUp } from './journal/start-up-check.js';
import { createDecisionHook } from './money/decision-hook.js';
import { cardRef, openJournal, type SqliteJournal } from './journal/sqlite-journal.js';
import { createCardService, journalTamperedCard } from './services/card-service.js';
import { createOrderService } from './services/order-service.js';
import { createTopUpService } from './services/top-up.js';
import { createUploader, KIOSK_PROBE_BATCH_SIZE, type Uploader } from './uploader/uploader.js';
import { createHealthMonitor } from './health/health-monitor.js';
import type { HealthReport } from '../contract/health.js';
import type { TerminalBehaviour } from '../hardware/payment/emulator-control.js';
import { createTechnicianListSync, type TechnicianListSync } from './backoffice-client/technician-list.js';
import { createHeartbeat, heartbeatOf } from './backoffice-client/heartbeat.js';
import { operatorPublicKey } from '../contract/technician-credential.js';
import { emulationOperatorPublicKey } from '../hardware/card/technician-card.js';
import { createMaintenanceDesk } from './maintenance/maintenance-desk.js';
import { maintenanceTerminal } from './maintenance/maintenance-actions.js';
import type { TechnicianList } from './maintenance/technician-access.js';
import { KIOSK_VERSION } from './version.js';

/** Issue 13: the faults a tester can cause (emulated and wire hardware only). */
export const TESTER_FAULTS = ['card-reader', 'payment-terminal', 'disk-full', 'backoffice'] as const;
export type TesterFaultName = (typeof TESTER_FAULTS)[number];

/** A tester's switch for the back office as the kiosk's journeys see it (orders need it; top-up does not). */
export interface BackOfficeTesterControl {
  /** false: every order request fails as if the back office could not be reached. */
  setReachable(reachable: boolean): void;
  reachable(): boolean;
}

export interface KioskTester {
  card?: CardEmulatorControl;
  terminal?: TerminalEmulatorControl;
  backOffice: BackOfficeTesterControl;
  /** Issue 13: cause a fault (reader gone: the reader driver stopped; terminal gone: the terminal
   * logs off and refuses to register; disk full: the journal's free-space check reads 0; back office gone), or end it.
   * Resolves with the health report after a fresh check. */
  setFault(fault: TesterFaultName, on: boolean): Promise<HealthReport>;
  /** Back to the start screen with every fixture card restored and the terminal's start behaviour.
   * Anything left open (e.g. an approved payment) is settled by recovery first. */
  reset(): Promise<void>;
}

export interface Kiosk {
  bridge: KioskBridge;
  /** Present on emulated and wire hardware (when config.tester): what testers steer. */
  tester?: KioskTester;
  /** Issue 13: the health model's latest report (what `/health` shows). */
  health(): HealthReport;
  /** Issue 13: the technician list synced from the back office (`current()`: what
   * main/maintenance/technician-access.ts takes as `list`; `status()`: version and age). */
  technicianList: Pick<TechnicianListSync, 'current' | 'status'>;
  /** Recover what the last run left open, then open the start screen. */
  start(): Promise<void>;
  /** Finish running card/payment operations, then release every device, the journal and the back office. */
  stop(): Promise<void>;
}

export interface CreateKioskDeps {
  /** The time port (now + timers) for everything in the kiosk. Default: system time. */
  time?: Time;
  /** Only the wall clock (timers stay real); ignored when `time` is given. */
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/** The kiosk secret: from configuration, or generated once and kept in the data directory. */
function kioskSecret(config: KioskConfig, random: Random): string {
  if (config.secret) return config.secret;
  const file = path.join(config.dataDir, 'kiosk-secret');
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim();
    if (s.length >= 32) return s;
    throw new Error(`${file} holds no usable kiosk secret (under 32 characters): refused, not replaced (records signed with it would no longer verify)`);
  }
  const s = random.id(32);
  // 'wx': never through a file or symlink someone planted; the per-purpose keys are derived from
  // it (contract/record-crypto.ts deriveKey), the secret itself keys nothing.
  writeFileSync(file, `${s}\n`, { mode: 0o600, flag: 'wx' });
  return s;
}

export async function createKiosk(config: KioskConfig, deps: CreateKioskDeps = {}): Promise<Kiosk> {
  const time = deps.time ?? systemTime(deps.clock);
  const clock: Clock = time;
  const random = deps.random ?? cryptoRandom;
  const log = deps.logger ?? pino({ level: config.logLevel, base: { kiosk: config.kioskId } });
  const driverLog = (name: string) => (msg: string, extra?: object) => log.child({ device: name }).info(extra ?? {}, msg);

  secureDataDir(config.dataDir); // 0700 directory, 0600 files: at every start
  const secretFile = path.join(config.dataDir, 'kiosk-secret');
  if (!config.secret && !existsSync(secretFile) && config.backOffice.mode === 'remote' && config.backOffice.url?.startsWith('https:')) {
    // A remote back office knows only enrolled kiosks: a secret made up here would be useless.
    if (!config.enrollmentToken) throw new Error('this kiosk has no secret yet: set KIOSK_ENROLL_TOKEN to the one-time token from the operator');
    const { keyId } = await enrollKiosk({
      baseUrl: config.backOffice.url!,
      ...(config.backOffice.caFile ? { caPem: readFileSync(config.backOffice.caFile) } : {}),
      kioskId: config.kioskId,
      token: config.enrollmentToken,
      secretFile,
    });
    log.warn({ keyId }, 'kiosk enrolled: secret agreed with the back office');
  }
  const secret = kioskSecret(config, random);
  // Key rotation (key-ring.ts): records and requests under the current key; `secret` stays the
  // original key (records before the first rotation, card-number hashes). A configured secret never rotates.
  const keyRing = config.secret ? undefined : openKeyRing(config.dataDir, secret);
  let uploader: Uploader | undefined;
  const journal: SqliteJournal = openJournal({
    path: path.join(config.dataDir, 'journal.sqlite'),
    kioskId: config.kioskId,
    hmacKey: secret,
    ...(keyRing ? { recordKeys: keyRing } : {}),
    clock,
    afterAppend: () => uploader?.notify(),
  });

  const cleanups: (() => Promise<void> | void)[] = [() => journal.close()];
  const undoAll = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log.error({ err: String(e) }, 'cleanup failed');
      }
    }
  };

  try {
    // A journal whose chain does not verify stops money for this run (start-up-check.ts).
    const chain = checkChainAtStartUp(journal, (msg, extra) => log.error(extra, msg), `chain-check-${newOperationId(random)}`);
    const money = !chain.moneyStopped;

    // Back office: the reference one in process, or a remote one.
    let backOfficeServer: BackOfficeServer | undefined;
    let embedded: EmbeddedBackOffice | undefined;
    let baseUrl = config.backOffice.url ?? '';
    if (config.backOffice.mode === 'local' && config.backOffice.engine === 'pglite') {
      // Opened in the background by start(): PGlite takes seconds the first time, and the kiosk
      // needs no back office to show its start screen (store-and-forward, cached lists).
      // The kiosk's client needs the address now; the back office listens on it later.
      const port = config.backOffice.port || (await freeLoopbackPort());
      baseUrl = `http://127.0.0.1:${port}`;
      const bo = embeddedPgliteBackOffice(
        { port, database: `pglite:${path.resolve(config.dataDir, 'backoffice-pglite')}`, timeZone: config.timeZone, kiosks: { [config.kioskId]: secret } },
        log.child({ service: 'embedded-back-office' }),
      );
      embedded = bo;
      cleanups.push(() => bo.close());
    } else if (config.backOffice.mode === 'local') {
      backOfficeServer = await startBackOffice({
        port: config.backOffice.port,
        host: '127.0.0.1',
        dbPath: path.join(config.dataDir, 'backoffice.sqlite'),
        clock,
        timeZone: config.timeZone,
        kiosks: { [config.kioskId]: secret },
        // Issue 13: the fixture technicians (T-0002 revoked); this back office serves only
        // emulated/wire kiosks (refineSafety: a real device needs a remote one).
        seedTechnicians: true,
      });
      const server = backOfficeServer;
      cleanups.push(() => server.close());
      baseUrl = server.url;
    }
    const backOffice: HttpBackOfficeClient = createHttpBackOfficeClient({
      baseUrl,
      ...(config.backOffice.caFile ? { caPem: readFileSync(config.backOffice.caFile) } : {}),
      kioskId: config.kioskId,
      secret,
      ...(keyRing ? { requestSecret: keyRing.requestSecret } : {}),
      clock,
      time,
      blockedCachePath: path.join(config.dataDir, 'blocked-cards.json'),
    });
    cleanups.push(() => backOffice.close());
    // Issue 13: the technician list, synced like the blocked list and kept in the data directory.
    // The maintenance journey's createTechnicianAccess takes `technicianList.current` as its `list`.
    const technicianList: TechnicianListSync = createTechnicianListSync({
      kioskId: config.kioskId,
      fetch: async () => (outage(), backOffice.fetchTechnicianList()),
      cachePath: path.join(config.dataDir, 'technicians.json'),
      clock,
      time,
      log: (msg, extra) => log.child({ service: 'technician-list' }).warn(extra ?? {}, msg),
    });
    if (keyRing && config.backOffice.mode === 'remote') {
      // A rotation a kill interrupted after the back office answered: confirm and switch now (key-ring.ts).
      const caPem = config.backOffice.caFile ? readFileSync(config.backOffice.caFile) : undefined;
      const resumed = await resumeRotation({ ring: keyRing, baseUrl, ...(caPem ? { caPem } : {}), kioskId: config.kioskId, clock, keyIdsInUse: () => journal.keyIdsInUse(), timeoutMs: 5_000 });
      if (resumed !== 'none') log.warn({ resumed, keyId: keyRing.state().current }, 'interrupted key rotation resumed');
      pruneKeyRing(keyRing, journal.keyIdsInUse());
      const maxAgeDays = config.backOffice.keyMaxAgeDays;
      if (maxAgeDays !== undefined) {
        const stopRotation = scheduleKeyRotation({ ring: keyRing, baseUrl, ...(caPem ? { caPem } : {}), kioskId: config.kioskId, clock, time, keyIdsInUse: () => journal.keyIdsInUse(), maxAgeMs: maxAgeDays * 86_400_000, report: (o) => log.warn(o, 'scheduled key rotation') });
        cleanups.push(stopRotation);
      }
    }
    secureDataDir(config.dataDir); // the databases just opened or created

    // The journal reaches the back office by store-and-forward; money never waits for it.
    uploader = createUploader({
      queue: journal,
      intake: backOffice,
      time,
      random: () => random.next(),
      idleDelayMs: config.backOffice.uploadIntervalMs,
      probeBatchSize: KIOSK_PROBE_BATCH_SIZE,
      log: (msg, extra) => log.child({ service: 'uploader' }).info(extra ?? {}, msg),
    });
    const up = uploader;
    cleanups.push(() => up.stop());

    // Devices. The payment terminal's decision hook needs only the journal, so the terminal is
    // built first and handed to the top-up service as it is.
    const card: CardHardware = await createCardHardware(config.hardware.card, { clock, log: driverLog('card-reader') });
    cleanups.push(() => card.stop());
    const pay: PaymentHardware = await createPaymentHardware(config.hardware.payment, {
      clock,
      scheduler: time,
      log: driverLog('payment-terminal'),
      onDecision: createDecisionHook(journal),
    });
    cleanups.push(() => pay.stop());
    /** Did an interrupted operation's credit land? Only answerable if that card lies on the reader. */
    const checkCardWrite = createCardWriteCheck({
      reader: card.reader,
      cardHash: (n) => cardRef(n, secret).hash,
      onChecked: (result, why) => log.info({ result, why }, 'recovery card check'),
      // Issue 12 window 3: give a card lying on the reader the time to be reported (bounded).
      waitForCard: { ms: 3_000, time },
    });
    // Issue 12 window 4: settle what the live flow left open while the kiosk runs.
    const settler = createSettler({ journal, terminal: pay.terminal, time, log: (msg, extra) => log.warn(extra ?? {}, msg), checkCardWrite });
    cleanups.push(() => settler.stop());

    // Issue 12 window 6: money only while the journal can be written.
    const journalGuard = createJournalGuard(journal, { clock, onChange: (h) => (h.ok ? log.warn('journal writable again: top-ups resume') : log.error({ detail: h.detail }, 'journal cannot be written: no top-ups')) });
    // A broken chain (start-up check above) stops money for the whole run: the same "cannot record
    // payments safely" health as an unwritable journal, so the traveller is told why there is no
    // top-up (menu "not offered" text) and the top-up service refuses before the terminal is asked.
    const chainBroken: JournalHealth = { ok: false, reason: 'journal-unavailable', detail: 'journal chain broken at start-up', since: clock.now().toISOString() };
    const moneyHealth = (): JournalHealth => (money ? journalGuard.health() : chainBroken);
    const topUp = createTopUpService({
      reader: card.reader,
      terminal: pay.terminal,
      journal: journalGuard.journal,
      journalHealth: moneyHealth,
      clock,
      random,
      kioskId: config.kioskId,
      maxBalanceCents: config.topUp.maxBalanceCents,
      cardRef: (n) => cardRef(n, secret),
      log: log.child({ service: 'top-up' }),
      onLeftOpen: (id) => settler.track(id),
    });

    const cards = createCardService({
      reader: card.reader,
      backOffice,
      clock,
      timeZone: config.timeZone,
      log: log.child({ service: 'card' }),
      refsSeen: { journal, cardRef: (n) => cardRef(n, secret) },
      onTampered: journalTamperedCard(journal, random),
      journalHealth: moneyHealth,
    });

    const recover = async () => {
      const report = await recoverUnfinished({
        journal,
        terminal: pay.terminal,
        log: (msg, extra) => log.warn(extra ?? {}, msg),
        checkCardWrite,
      });
      if (report.operations.length) log.warn({ settled: report.operations.length, leftOpen: report.leftOpen }, 'start-up recovery finished');
      for (const o of report.operations) if (o.action === 'left-open') settler.track(o.operationId);
    };

    // Testers can take the back office away from the order journeys (never on real hardware).
    let backOfficeReachable = true;
    const outage = () => {
      if (!backOfficeReachable) throw new BackOfficeUnavailableError('back office switched off by a tester');
    };
    const orderBackOffice: Pick<BackOfficeClient, 'pendingOrders' | 'markCollected'> = {
      pendingOrders: async (n) => (outage(), backOffice.pendingOrders(n)),
      markCollected: async (o, n, op) => (outage(), backOffice.markCollected(o, n, op)),
    };
    const orders = createOrderService({
      reader: card.reader,
      backOffice: orderBackOffice,
      journal,
      clock,
      random,
      timeZone: config.timeZone,
      maxBalanceCents: config.topUp.maxBalanceCents,
      exclusiveProductGroups: config.orders.exclusiveProductGroups,
      stationPassage: config.stationPassage,
      cardRef: (n) => cardRef(n, secret),
      log: log.child({ service: 'orders' }),
    });

    // Issue 13: the technicians' maintenance journey. The technician list is the one synced from the
    // back office (the embedded one is seeded with the fixture technicians); none synced yet:
    // nobody gets in.
    const technicianListNow = (): TechnicianList | undefined => technicianList.current();
    const startedAt = clock.now();
    const desk = createMaintenanceDesk({
      time,
      operatorPublicKey: config.maintenance.operatorPublicKeyFile
        ? operatorPublicKey(readFileSync(config.maintenance.operatorPublicKeyFile, 'utf8'))
        : emulationOperatorPublicKey(),
      technicianList: technicianListNow,
      maxPinAttempts: config.maintenance.maxPinAttempts,
      lockoutMs: config.maintenance.lockoutMs,
      lockoutFile: path.join(config.dataDir, 'technician-lockout.json'),
      reader: card.reader,
      waitForFreshCard: (signal) => cards.waitForCard(true, signal),
      actions: {
        journal,
        terminal: maintenanceTerminal(pay),
        drainUploads: () => up.drain(),
        pendingUploads: () => up.status().pending,
        setOutOfService: (reason) => health.setTechnicianOutOfService(reason),
        // Grouped hex (money/ids.ts): 24 plain hex digits hold 13 digits in a row about once in 45,
        // which the journal's privacy check refuses as a card number.
        newOperationId: () => `maintenance-${newOperationId(random)}`,
        // Issue 11: an enrolled kiosk (key ring) with a remote back office rotates on demand.
        ...(keyRing && config.backOffice.mode === 'remote'
          ? {
              rotateKey: () =>
                rotateKeyRing({
                  ring: keyRing,
                  baseUrl,
                  ...(config.backOffice.caFile ? { caPem: readFileSync(config.backOffice.caFile) } : {}),
                  kioskId: config.kioskId,
                  clock,
                  keyIdsInUse: () => journal.keyIdsInUse(),
                }),
            }
          : {}),
      },
      health: () => health.report(),
      checkHealthNow: () => health.checkNow(),
      uploads: () => up.status(),
      oldestWaiting: () => journal.undelivered(1)[0]?.at,
      version: KIOSK_VERSION,
      configSummary: {
        kioskId: config.kioskId,
        hardware: config.hardware.mode,
        backOffice: config.backOffice.mode,
        station: config.stationPassage.stationCode,
        timeZone: config.timeZone,
        tester: config.tester,
      },
      startedAt,
    });

    const runtime = createKioskRuntime({
      maintenance: desk,
      machineInput: {
        maintenance: { idleLockMs: config.maintenance.idleLockMs, refusedMs: config.maintenance.refusedMs },
        timing: config.timing,
        // With the chain broken top-up stays configured but is refused by moneyHealth (and said why).
        topUp: { amountsCents: config.topUp.amountsCents, maxBalanceCents: config.topUp.maxBalanceCents, cardKinds: config.topUp.cardKinds },
        menuOptions: config.menuOptions,
        ...(money
          ? {
              orders: { cardKinds: config.orders.cardKinds, exclusiveProductGroups: config.orders.exclusiveProductGroups },
              stationPassage: config.stationPassage,
            }
          : {}),
      },
      cards,
      topUp,
      orders,
      log: log.child({ service: 'session' }),
      time,
      onSessionCrash: recover,
      onJourneyFailed: recover,
    });

    // Issue 13: the kiosk watches its own parts and offers only what it can do now.
    const health = createHealthMonitor({
      time,
      reader: card.reader,
      // The ZVT driver (every mode) also re-registers; the contract's PaymentTerminal does not say so.
      terminal: pay.terminal as typeof pay.terminal & { reRegister?(): Promise<void> },
      journal,
      journalFile: path.join(config.dataDir, 'journal.sqlite'),
      dataDir: config.dataDir,
      refreshBlockedList: async () => (outage(), backOffice.refreshBlockedList()),
      policy: { blockedList: config.health.blockedList },
      checkIntervalMs: config.health.checkIntervalMs,
      chainCheckIntervalMs: config.health.chainCheckIntervalMs,
      chainAtStart: chain.check,
      probeTimeoutMs: config.health.probeTimeoutMs,
      minFreeBytes: config.health.minFreeBytes,
      technicianList: () => technicianList.status(),
      log: (msg, extra) => log.child({ service: 'health' }).warn(extra ?? {}, msg),
    });
    health.onChange((a) => runtime.setAvailability(a));
    cleanups.push(() => health.stop());

    // Issue 13: the fleet heartbeat: health, what is offered, the journal backlog, versions.
    const heartbeat = createHeartbeat({
      send: async (hb) => (outage(), backOffice.sendHeartbeat(hb)),
      collect: () => {
        const counts = journal.counts();
        return heartbeatOf({
          now: clock.now(),
          startedAt,
          health: health.report(),
          journal: { ...counts, oldestPendingAt: counts.pending > 0 ? journal.undelivered(1)[0]?.at : undefined },
          lastDeliveryAt: up.status().lastDeliveryAt,
          version: KIOSK_VERSION,
          blockedListVersion: backOffice.blockedListVersion(),
          technicianList: technicianList.status(),
        });
      },
      clock,
      time,
      log: (msg, extra) => log.child({ service: 'heartbeat' }).warn(extra ?? {}, msg),
    });

    let terminalBefore: TerminalBehaviour | undefined;
    const setFault = async (fault: TesterFaultName, on: boolean): Promise<HealthReport> => {
      log.warn({ fault, on }, 'tester: fault changed');
      switch (fault) {
        case 'card-reader':
          if (on) await card.reader.stop();
          else await card.reader.start();
          break;
        case 'payment-terminal':
          if (!pay.control) {
            if (on) throw new Error('the payment terminal is not emulated here');
            break;
          }
          if (on && terminalBefore === undefined) {
            terminalBefore = pay.control.behaviour();
            // The terminal logged off and refuses to register: it takes no payment.
            pay.control.setBehaviour('not-registered');
          } else if (!on && terminalBefore !== undefined) {
            pay.control.setBehaviour(terminalBefore);
            terminalBefore = undefined;
          }
          break;
        case 'disk-full':
          health.setFault('disk-full', on);
          break;
        case 'backoffice':
          backOfficeReachable = !on;
          break;
      }
      health.noteTesterFault(fault, on);
      return health.checkNow();
    };

    let stopRefresh: (() => void) | undefined;
    let stopTechnicianSync: (() => void) | undefined;
    let stopHeartbeat: (() => void) | undefined;
    let started = false;
    let stopped = false;

    const tester: KioskTester | undefined =
      config.tester && config.hardware.mode !== 'real' && (card.control || pay.control)
        ? {
            ...(card.control ? { card: card.control } : {}),
            ...(pay.control ? { terminal: pay.control } : {}),
            backOffice: {
              setReachable: (r) => {
                backOfficeReachable = r;
                log.warn({ reachable: r }, 'tester: back office reachability for orders changed');
              },
              reachable: () => backOfficeReachable,
            },
            setFault,
            reset: () =>
              runtime.restart(async () => {
                for (const f of TESTER_FAULTS) await setFault(f, false);
                backOfficeReachable = true;
                // Fixture cards come back as they were, so their orders must be pending again: let
                // the journal upload land first (it marks loaded orders collected), then restore.
                if (backOfficeServer) {
                  await up.drain().catch((e: unknown) => log.warn({ err: String(e) }, 'tester reset: journal upload failed'));
                  backOfficeServer.store.restoreFixtureOrders();
                }
                // The embedded back office: waited for if it is still opening (a fresh kiosk), and
                // counted reachable again before the tester goes on.
                if (embedded && (await embedded.ready())) {
                  await up.drain().catch((e: unknown) => log.warn({ err: String(e) }, 'tester reset: journal upload failed'));
                  await embedded.restoreFixtureOrders();
                  await health.checkNow();
                }
                await recover();
                await card.control?.remove();
                await card.control?.resetFixtures();
                desk.clearLockouts();
                pay.control?.setBehaviour(config.hardware.payment.behaviour);
              }),
          }
        : undefined;

    return {
      bridge: runtime.bridge,
      ...(tester ? { tester } : {}),
      health: () => health.report(),
      technicianList: { current: () => technicianList.current(), status: () => technicianList.status() },
      async start() {
        if (started) return;
        started = true;
        await recover();
        stopRefresh = backOffice.startBlockedListRefresh(config.backOffice.blockedRefreshMs, (e) =>
          log.warn({ err: String(e) }, 'blocked-card list refresh failed (the cached list stays in use)'),
        );
        stopTechnicianSync = technicianList.start(config.backOffice.technicianRefreshMs);
        runtime.start();
        health.start();
        up.start();
        stopHeartbeat = heartbeat.start(config.backOffice.heartbeatIntervalMs);
        embedded?.open(() => {
          // The first sync need not wait a whole interval for the back office that just came up.
          up.notify();
          void health.checkNow(); // fetches the blocked list: the back office counts as reachable at once
          void technicianList.refresh().catch(() => undefined);
        }, EMBEDDED_BACK_OFFICE_DELAY_MS);
        log.info({ hardware: config.hardware.mode, backOffice: config.backOffice.mode, engine: config.backOffice.mode === 'local' ? config.backOffice.engine : undefined }, 'kiosk started');
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        stopRefresh?.();
        stopTechnicianSync?.();
        stopHeartbeat?.();
        await runtime.stop();
        await undoAll();
        log.info('kiosk stopped');
      },
    };
  } catch (e) {
    await undoAll();
    throw e;
  }
}

interface EmbeddedBackOffice {
  /** Start it (once) after `delayMs`; `onOpen` runs when it serves. */
  open(onOpen: () => void, delayMs: number): void;
  /** Whether it opened (waits while it is opening); false if it failed or was never started. */
  ready(): Promise<boolean>;
  /** Put the fixture orders back (tester reset); false when it is not open. */
  restoreFixtureOrders(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long after start the embedded back office is forked (see open()). */
const EMBEDDED_BACK_OFFICE_DELAY_MS = 2_000;

/** The repository's root as seen from this module: main/ run through tsx, or the compiled host in dist/host/. */
function sourceRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) if (existsSync(path.join(dir, 'backoffice', 'embedded.ts'))) return dir;
  return undefined;
}

/**
 * The in-process reference back office on PGlite (the back office's one dialect, embedded), run as
 * a child process (backoffice/embedded.ts says why) once the kiosk has started: its first open
 * takes seconds and the kiosk needs no back office to show its start screen (store-and-forward,
 * cached lists). A failure to start is logged and leaves the kiosk offline, as an unreachable
 * remote back office would. Its clock is the system clock (it is a separate process).
 */
function embeddedPgliteBackOffice(options: EmbeddedStart, log: Logger): EmbeddedBackOffice {
  let child: ChildProcess | undefined;
  let opened: Promise<boolean> | undefined;
  let closed = false;
  let delayTimer: NodeJS.Timeout | undefined;
  let cancelDelay = () => {};
  let nextId = 1;
  const waiting = new Map<number, () => void>();
  const exited = () => new Promise<void>((resolve) => (child && child.exitCode === null && child.signalCode === null ? child.once('exit', () => resolve()) : resolve()));
  const startChild = (onOpen: () => void): Promise<boolean> => {
    const root = sourceRoot();
    if (!root) {
      log.error('embedded back office: backoffice/embedded.ts not found in this build: the kiosk works offline');
      return Promise.resolve(false);
    }
    const c = fork(path.join(root, 'backoffice', 'embedded.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child = c;
    log.info({ pid: c.pid }, 'embedded back office (PGlite) starting');
    // Background work: niced, so its first open (tsx, initdb) never takes the CPU from the kiosk
    // or the browser drawing the start screen on a 2-core machine.
    try {
      if (c.pid !== undefined) setPriority(c.pid, 10);
    } catch {
      /* not permitted here: it runs at normal priority */
    }
    c.stderr!.on('data', (d: Buffer) => log.warn({ stderr: d.toString().trimEnd().slice(0, 2000) }, 'embedded back office'));
    const result = new Promise<boolean>((resolve) => {
      c.on('message', (m: { type?: string; url?: string; ms?: number; error?: string; id?: number }) => {
        if (m.type === 'open') {
          log.info({ url: m.url, ms: m.ms, pid: c.pid }, 'embedded back office (PGlite) open');
          resolve(true);
          if (!closed) onOpen();
        } else if (m.type === 'failed') {
          log.error({ err: m.error }, 'embedded back office (PGlite) failed to open: the kiosk works offline');
          resolve(false);
        } else if (m.type === 'restored' && m.id !== undefined) {
          if (m.error) log.warn({ err: m.error }, 'embedded back office: fixture orders not restored');
          waiting.get(m.id)?.();
          waiting.delete(m.id);
        }
      });
      c.once('exit', (code, signal) => {
        if (!closed) log.error({ code, signal }, 'embedded back office exited: the kiosk works offline');
        for (const done of waiting.values()) done();
        waiting.clear();
        resolve(false);
      });
      c.once('error', (e) => log.error({ err: String(e) }, 'embedded back office could not be started'));
    });
    c.send({ type: 'start', options });
    return result;
  };
  return {
    open(onOpen, delayMs) {
      if (opened || closed) return;
      // Forked a moment after start: the browser is then drawing the start screen, and this child's
      // tsx compile and initdb would take CPU from it (measured: +0.34 s to the start screen, +0.77 s
      // of CPU before it, forked at once). ready() waits through the delay.
      opened = new Promise<boolean>((resolve) => {
        delayTimer = setTimeout(() => {
          delayTimer = undefined;
          resolve(closed ? false : startChild(onOpen));
        }, delayMs);
        cancelDelay = () => resolve(false);
      });
    },
    ready: async () => (await opened) ?? false,
    async restoreFixtureOrders() {
      if (!(await opened) || !child?.connected) return false;
      const id = nextId++;
      const done = new Promise<void>((resolve) => waiting.set(id, resolve));
      child.send({ type: 'restore-fixture-orders', id });
      await done;
      return true;
    },
    async close() {
      closed = true;
      if (delayTimer) {
        clearTimeout(delayTimer);
        cancelDelay();
      }
      if (!child) return;
      if (child.connected) child.send({ type: 'close' });
      // Past 8 s (a first open under way) it is killed, so an operator's Ctrl+C is not held up:
      // PGlite reopens a directory killed mid-open (composition.pglite.test.ts checks it).
      const timer = setTimeout(() => child?.kill('SIGKILL'), 8_000);
      await exited();
      clearTimeout(timer);
    },
  };
}
