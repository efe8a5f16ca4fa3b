// The preload, compiled to CommonJS exactly as the build does and run with a stand-in `require`:
// it may load only `electron`, and it exposes exactly `window.kiosk` (onSnapshot, send).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import type { KioskSnapshot, KioskWindowApi } from '../../contract/bridge.js';
import { IPC_CHANNELS } from './channels.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = readFileSync(path.join(here, 'preload.cts'), 'utf8');

function loadPreload() {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: 'preload.cts',
  });
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: vi.fn((key: string, api: unknown) => exposed.set(key, api)) },
    ipcRenderer: {
      invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined),
      on: vi.fn((channel: string, l: (event: unknown, ...args: unknown[]) => void) => listeners.set(channel, l)),
      removeListener: vi.fn((channel: string) => listeners.delete(channel)),
    },
  };
  const required: string[] = [];
  const fakeRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`sandboxed preload may not require ${id}`);
  };
  const module = { exports: {} };
  new Function('require', 'module', 'exports', outputText)(fakeRequire, module, module.exports);
  return { exposed, electron, listeners, required };
}

const snap = (rev: number) =>
  ({
    rev,
    screen: 'menu',
    locale: 'nl',
    largeText: false,
    busy: false,
    inactivity: { warning: false, secondsLeft: 0 },
    // The shell only passes snapshots through: a partial one is enough here.
  }) as KioskSnapshot;

describe('preload', () => {
  it('requires nothing but electron and exposes only window.kiosk with onSnapshot and send', () => {
    const { exposed, required } = loadPreload();
    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['kiosk']);
    expect(Object.keys(exposed.get('kiosk') as object).sort()).toEqual(['onSnapshot', 'send']);
  });

  it('uses the same channel names as the main process', () => {
    for (const channel of Object.values(IPC_CHANNELS)) expect(source).toContain(`'${channel}'`);
  });

  it('sends events through invoke on the send channel', async () => {
    const { exposed, electron } = loadPreload();
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true });
    const api = exposed.get('kiosk') as KioskWindowApi;
    await expect(api.send({ type: 'START' })).resolves.toEqual({ ok: true });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_CHANNELS.send, { type: 'START' });
  });

  it('delivers the current snapshot first, then pushed ones, dropping stale revisions, and unsubscribes', async () => {
    const { exposed, electron, listeners } = loadPreload();
    electron.ipcRenderer.invoke.mockResolvedValueOnce(snap(5));
    const api = exposed.get('kiosk') as KioskWindowApi;
    const seen: number[] = [];
    const off = api.onSnapshot((s) => seen.push(s.rev));
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_CHANNELS.current);
    await new Promise((r) => setTimeout(r, 0));
    const push = listeners.get(IPC_CHANNELS.snapshot)!;
    push({}, snap(4));
    push({}, snap(6));
    expect(seen).toEqual([5, 6]);
    off();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(IPC_CHANNELS.snapshot, expect.any(Function));
  });
});
