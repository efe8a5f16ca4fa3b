/**
 * The operator's case list as a plain server-rendered page (no script): filters as a GET form,
 * each open case with its actions as POST forms carrying the operator's CSRF token. Every value
 * that came from a journal (kiosk ids, details, notes) is HTML-escaped.
 */
import { CASE_KINDS, CASE_STATES, CASE_TRANSITIONS, type CaseDto, type CaseFilterDto } from './reconciliation.js';

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const euro = (cents: number | null) => (cents === null ? '' : `€ ${(cents / 100).toFixed(2)}`);

function select(name: string, values: readonly string[], selected: string | undefined): string {
  const opts = ['', ...values].map((v) => `<option value="${escapeHtml(v)}"${v === (selected ?? '') ? ' selected' : ''}>${escapeHtml(v || 'any')}</option>`);
  return `<label>${escapeHtml(name)} <select name="${escapeHtml(name)}">${opts.join('')}</select></label>`;
}

export function renderCasesPage(input: { operatorId: string; csrf: string; filter: CaseFilterDto; cases: CaseDto[]; message?: string }): string {
  const { filter, cases, csrf } = input;
  const rows = cases.map((c) => {
    const actions =
      c.state === 'open'
        ? `<form method="post" action="/operator/cases/${c.id}/transition">
             <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
             <select name="to">${CASE_TRANSITIONS.map((t) => `<option value="${t}">${t}</option>`).join('')}</select>
             <input name="note" maxlength="500" placeholder="note" required>
             <button type="submit">apply</button>
           </form>`
        : '';
    return `<tr>
      <td>${c.id}</td><td>${escapeHtml(c.kind)}</td><td>${escapeHtml(c.state)}</td><td>${escapeHtml(c.kioskId)}</td>
      <td>${escapeHtml(c.operationId ?? c.orderId ?? '')}</td><td>${c.cardLast4 ? `•••• ${escapeHtml(c.cardLast4)}` : ''}</td>
      <td>${escapeHtml(c.ref ?? '')}</td><td>${escapeHtml(euro(c.amountCents))}</td><td>${escapeHtml(c.detail)}</td>
      <td>${escapeHtml(c.openedAt)}</td><td>${actions}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation cases</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em;vertical-align:top}</style></head>
<body>
<h1>Reconciliation cases</h1>
<p>Signed in as ${escapeHtml(input.operatorId)}.</p>
${input.message ? `<p role="status">${escapeHtml(input.message)}</p>` : ''}
<form method="get" action="/operator/cases">
  ${select('state', CASE_STATES, filter.state)} ${select('kind', CASE_KINDS, filter.kind)}
  <label>kiosk <input name="kiosk" value="${escapeHtml(filter.kiosk ?? '')}"></label>
  <label>card last 4 <input name="last4" value="${escapeHtml(filter.last4 ?? '')}" size="4"></label>
  <button type="submit">filter</button>
</form>
<table>
<thead><tr><th>#</th><th>kind</th><th>state</th><th>kiosk</th><th>operation / order</th><th>card</th><th>ref</th><th>amount</th><th>detail</th><th>opened</th><th>action</th></tr></thead>
<tbody>
${rows.join('\n') || '<tr><td colspan="11">no cases</td></tr>'}
</tbody></table>
</body></html>`;
}
