/**
 * The content security policy for everything the kiosk's renderer loads, in either shell (the
 * Electron window adds it as a response header, the browser host sends it with every response,
 * and renderer/index.html carries it in a meta tag for file:// loads, which have no headers).
 * The renderer is bundled files only: no inline script, no eval, no remote origin.
 */
export const KIOSK_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
