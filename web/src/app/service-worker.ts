/**
 * The service worker (`web/src/sw.ts`), from the page's side: registered once the first screen is up, and
 * what it tells the page. Small and free of the chat's code: the first screen's entry imports it.
 */
import { parseWorkerMessage, type WorkerMessage } from '../sw/messages';

/** Where the build puts the worker (`SERVICE_WORKER_FILE`): the site's root, so its scope is the whole app. */
export const SERVICE_WORKER_URL = '/sw.js';

/**
 * Registers the worker after the page's load, so its download never competes with the first screen's.
 * Nothing happens in a browser without service workers: notifications then come only while a tab is open.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' }).catch((error: unknown) => {
      console.warn('The service worker could not be registered', { name: (error as Error)?.name });
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

/** Calls `handle` with each message the worker sends this page; returns what stops listening. */
export function onWorkerMessage(handle: (message: WorkerMessage) => void): () => void {
  if (!('serviceWorker' in navigator)) return () => {};
  const listener = (event: MessageEvent) => {
    const message = parseWorkerMessage(event.data);
    if (message) handle(message);
  };
  navigator.serviceWorker.addEventListener('message', listener);
  return () => navigator.serviceWorker.removeEventListener('message', listener);
}
