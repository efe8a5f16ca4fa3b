import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { selectBridge } from './bridge/select.js';
import { createI18n } from './i18n.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('renderer: #root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App bridge={selectBridge()} i18n={createI18n('nl')} />
  </StrictMode>,
);
