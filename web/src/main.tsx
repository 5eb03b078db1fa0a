// First: zod must be told not to compile with `new Function` before any schema exists. The chat is a lazy
// chunk (see ui/App.tsx); what it shares with this entry goes into chunks that run before this file does,
// so a module building schemas at load must not be shared between the two.
import './jitless';
import { render } from 'preact';
import { App } from './ui/App';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
