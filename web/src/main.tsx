// The first screen: no zod here (the chat's lazy chunk, `chat.ts`, brings it and configures it first). What
// this entry shares with that chunk goes into chunks that run before either, so a module building schemas at
// load must not be shared between the two.
import { render } from 'preact';
import { registerServiceWorker } from './app/service-worker';
import { App } from './ui/App';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
// For notifications while Parley is closed; after the page's load, so the first screen never waits for it.
registerServiceWorker();
