import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xterm/xterm/css/xterm.css';
import './ui/styles.css';
import './ui/plan.css';
import './ui/changes.css';
import './ui/session.css';
import './ui/list.css';
import { takeTokenFromUrl } from './api/auth';
import { App, NoToken } from './ui/App';
import { applyThemeChoice } from './ui/theme';

applyThemeChoice();
const token = takeTokenFromUrl();
const root = createRoot(document.getElementById('root')!);
root.render(<StrictMode>{token ? <App token={token} /> : <NoToken />}</StrictMode>);
