// The chat's code, loaded once the configuration is in (see ui/App.tsx): one lazy entry, so that telling zod
// not to compile parsers with `new Function` (which the Content-Security-Policy forbids) runs before any
// schema is built. The first screen (sign-in) imports no zod at all.
import './jitless';

export { ChatModel } from './app/model';
export { startFailure } from './app/start-failure';
export { ChatApp } from './ui/ChatApp';
