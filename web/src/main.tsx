// Entry point: mounts the dashboard shell into #app, or, when the dashboard frames its own SPA
// (an app path the server has no upstream for), only a short "not available" note.
import { render } from 'preact';
import { App } from './app';
import { AppMissing } from './pages';
import './style.css';

function framedBySelf(): boolean {
  try {
    return window.parent !== window && window.parent.location.origin === window.location.origin;
  } catch {
    return false; // Framed by another origin: show the dashboard as usual.
  }
}

const root = document.getElementById('app');
if (root) render(framedBySelf() ? <AppMissing path={window.location.pathname} /> : <App />, root);
