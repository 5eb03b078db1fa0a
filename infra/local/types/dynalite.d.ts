declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

declare module 'dynalite/db/index.js' {
  /** An item's size by AWS's rules, for an item in the JSON wire format (`{ "S": "x" }`). */
  export function itemSize(item: Record<string, { readonly [type: string]: unknown }>): number;
}
