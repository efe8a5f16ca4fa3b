/**
 * The operator's fleet page (issue 13) as a plain server-rendered page (no script, no forms):
 * kiosks that need attention (out of service, silent, falling behind on upload), every kiosk's
 * latest heartbeat, the technicians, and the maintenance actions kiosks journaled. Every value that
 * came from a kiosk (ids, details, versions) is HTML-escaped (operator-page.ts escapeHtml).
 */
import { escapeHtml } from './operator-page.js';
import type { FleetViewDto } from './fleet.js';
import type { TechnicianDto } from './technicians.js';

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export function renderFleetPage(input: { operatorId: string; view: FleetViewDto; technicians: TechnicianDto[] }): string {
  const { view } = input;
  const list = (title: string, ids: string[]) =>
    `<h2>${escapeHtml(title)} (${ids.length})</h2>${ids.length === 0 ? '<p>none</p>' : `<ul>${ids.map((id) => `<li>${escapeHtml(id)}</li>`).join('')}</ul>`}`;
  const kioskRows = view.kiosks.map((k) => {
    const hb = k.heartbeat;
    const flags = [k.outOfService.length > 0 ? 'out of service' : '', k.silent ? 'silent' : '', k.behind ? 'behind' : ''].filter(Boolean).join(', ');
    return `<tr>
      <td>${escapeHtml(k.kioskId)}</td><td>${escapeHtml(flags || 'ok')}</td><td>${escapeHtml(k.outOfService.join(', '))}</td>
      <td>${escapeHtml(hb ? [hb.availability.topUp ? `top-up: ${hb.availability.topUp}` : '', hb.availability.collectOrders ? `orders: ${hb.availability.collectOrders}` : ''].filter(Boolean).join('; ') || 'all' : '')}</td>
      <td>${escapeHtml(k.pending ?? '')}</td><td>${escapeHtml(k.oldestPendingAt ?? '')}</td><td>${escapeHtml(k.receivedAt ?? 'never')}</td>
      <td>${escapeHtml(hb ? `${hb.versions.software} (${hb.versions.build})` : '')}</td>
      <td>${escapeHtml(hb ? `blocked ${hb.versions.blockedList ?? '–'}, technicians ${hb.versions.technicianList ?? '–'}` : '')}</td></tr>`;
  });
  const actionRows = view.maintenanceActions.map(
    (a) => `<tr><td>${escapeHtml(a.at)}</td><td>${escapeHtml(a.kioskId)}</td><td>${escapeHtml(a.technicianId ?? '')}</td><td>${escapeHtml(a.action ?? '')}</td><td>${escapeHtml(a.outcome ?? '')}</td><td>${escapeHtml(a.detail ?? '')}</td></tr>`,
  );
  const techRows = input.technicians.map(
    (t) => `<tr><td>${escapeHtml(t.technicianId)}</td><td>${escapeHtml(t.roles.join(', '))}</td><td>${t.revoked ? 'revoked' : 'active'}</td><td>${escapeHtml(t.version)}</td><td>${escapeHtml(t.updatedAt)}</td><td>${escapeHtml(t.updatedBy)}</td></tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fleet</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em;vertical-align:top}</style></head>
<body>
<h1>Fleet</h1>
<p>Signed in as ${escapeHtml(input.operatorId)}. As of ${escapeHtml(view.now)}: silent after ${escapeHtml(minutes(view.settings.silentAfterMs))} without a heartbeat; behind above ${escapeHtml(view.settings.behindPending)} records waiting or the oldest older than ${escapeHtml(minutes(view.settings.behindAgeMs))}.</p>
${list('Out of service', view.outOfService)}
${list('Silent', view.silent)}
${list('Falling behind on upload', view.behind)}
<h2>Kiosks</h2>
<table>
<thead><tr><th>kiosk</th><th>attention</th><th>out of service because</th><th>not offered</th><th>records waiting</th><th>oldest waiting since</th><th>last heartbeat</th><th>software</th><th>lists</th></tr></thead>
<tbody>
${kioskRows.join('\n') || '<tr><td colspan="9">no kiosks</td></tr>'}
</tbody></table>
<h2>Maintenance actions</h2>
<table>
<thead><tr><th>at</th><th>kiosk</th><th>technician</th><th>action</th><th>outcome</th><th>detail</th></tr></thead>
<tbody>
${actionRows.join('\n') || '<tr><td colspan="6">none journaled</td></tr>'}
</tbody></table>
<h2>Technicians</h2>
<table>
<thead><tr><th>id</th><th>roles</th><th>state</th><th>list version</th><th>changed</th><th>by</th></tr></thead>
<tbody>
${techRows.join('\n') || '<tr><td colspan="6">none</td></tr>'}
</tbody></table>
</body></html>`;
}
