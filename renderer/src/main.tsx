import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { selectBridge } from './bridge/select.js';
import { createBootI18n, preloadLanguages } from './i18n-boot.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('renderer: #root missing from index.html');
const bridge = selectBridge();
const i18n = createBootI18n();
// The other languages once the first snapshot is on screen (not while the start screen is on its way).
let preloaded = false;
bridge.api.onSnapshot(() => {
  if (preloaded) return;
  preloaded = true;
  setTimeout(() => preloadLanguages(i18n), 0);
});
createRoot(root).render(
  <StrictMode>
    <App bridge={bridge} i18n={i18n} />
  </StrictMode>,
);
