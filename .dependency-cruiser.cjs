/**
 * The layer rules of docs/ARCHITECTURE.md, checked by dependency-cruiser on every file (run by
 * `npm test` and `npm run layers`). Lower layers never import higher ones:
 *
 *   contract  <  domain  <  state-machines, hardware, backoffice  <  main/*  <  shells, composition
 *   renderer: contract (zod-free) + locales only
 *
 * Test code and tool configuration (*.config.ts, *.test.ts, testing/, test-support/, test-harness.ts, test/, scripts/) may reach any
 * layer: it wires layers together on purpose. Production code may not.
 */
const TEST = '(\\.config\\.ts$|\\.test\\.tsx?$|/testing/|/test-support/|test-harness\\.ts$|^test/|^scripts/)';

/** Which layers each layer may import (besides itself and npm packages). */
const LAYERS = [
  { name: 'contract', path: '^contract/', may: [] },
  { name: 'domain', path: '^domain/', may: ['^contract/'] },
  { name: 'state-machines', path: '^state-machines/', may: ['^contract/', '^domain/'] },
  { name: 'hardware', path: '^hardware/', may: ['^contract/'] },
  { name: 'backoffice', path: '^backoffice/', may: ['^contract/', '^domain/'] },
  {
    name: 'kiosk services (journal, uploader, back-office client, money, services)',
    path: '^main/(journal|uploader|backoffice-client|money|services)/',
    may: ['^contract/', '^domain/', '^state-machines/types\\.ts$', '^hardware/(card|payment)/[^/]+\\.ts$', '^main/(journal|uploader|backoffice-client|money|services)/'],
  },
  {
    name: 'kiosk runtime (main/core)',
    path: '^main/core/',
    may: ['^contract/', '^domain/', '^state-machines/', '^main/services/', '^main/core/'],
  },
  {
    name: 'shells (main/electron, main/host)',
    path: '^main/(electron|host)/',
    may: ['^contract/', '^main/(electron|host)/', '^main/composition\\.ts$', '^main/config\\.ts$', '^main/version\\.ts$', '^main/core/csp\\.ts$', '^contract/fixture-cards\\.ts$', '^hardware/payment/config\\.ts$'],
  },
  {
    name: 'renderer',
    path: '^renderer/',
    may: ['^renderer/', '^contract/(bridge|locales|card|payment|fixture-cards|maintenance)\\.ts$', '^locales/', '^hardware/payment/(payment-terminal|emulator-control)\\.ts$'],
  },
];

const layerRules = LAYERS.map((l) => ({
  name: `layer: ${l.name}`,
  comment: `${l.name} may import only: ${l.may.join(', ') || 'nothing of the project'} (docs/ARCHITECTURE.md, layer table)`,
  severity: 'error',
  from: { path: l.path, pathNot: TEST },
  to: {
    pathNot: [l.path, ...l.may, 'node_modules'],
    dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg'],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'renderer: no core libraries in the bundle',
      comment: 'the renderer shows snapshots; zod, xstate and drivers stay in main',
      severity: 'error',
      from: { path: '^renderer/', pathNot: TEST },
      to: { path: '(^contract/bridge-events\\.ts$|node_modules/(zod|xstate|better-sqlite3|serialport|nfc-pcsc|fastify|pino)/)' },
    },
    {
      name: 'renderer: only types from hardware',
      severity: 'error',
      from: { path: '^renderer/', pathNot: TEST },
      to: { path: '^hardware/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only main/electron imports electron',
      severity: 'error',
      from: { pathNot: ['^main/electron/', TEST] },
      to: { path: 'node_modules/electron/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle makes a layer impossible to take out or test alone',
      severity: 'error',
      from: { pathNot: TEST },
      to: { circular: true, pathNot: TEST },
    },
    {
      name: 'no-orphans',
      comment: 'a production module nobody imports is dead code (entry points are listed here)',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          TEST,
          '\\.d\\.ts$',
          '(^|/)(vite|vitest|playwright)\\.config\\.ts$',
          '^main/start\\.ts$',
          '^main/electron/(main|preload)\\.c?ts$',
          '^backoffice/main\\.ts$',
          '^hardware/payment/zvt/simulator/main\\.ts$',
          '^hardware/card/wire/virtual-card-cli\\.ts$',
          '^renderer/src/(main|tester/tester)\\.tsx$',
          '^\\.dependency-cruiser\\.cjs$',
        ],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|test-results|\\.kiosk-data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // exportsFields: packages that publish only through package.json "exports" (node-pg-migrate).
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.cts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
