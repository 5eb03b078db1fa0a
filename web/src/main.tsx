import { render } from 'preact';
import './styles.css';

function App() {
  return (
    <main>
      <h1>Parley</h1>
      <p>Loading…</p>
    </main>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
