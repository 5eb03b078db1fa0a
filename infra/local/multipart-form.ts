/** One part of a `multipart/form-data` body, as its headers name it. */
export interface FormPart {
  readonly name: string;
  /** Present on a file part. */
  readonly filename?: string;
  readonly contentType?: string;
}

export interface FormHandlers {
  part(part: FormPart): void;
  /** Bytes of the current part, in order; the chunk may be a view of the request's own buffer. */
  data(chunk: Buffer): void;
  partEnd(): void;
}

/** A body that is not well-formed `multipart/form-data`. */
export class MalformedFormError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFormError';
  }
}

/** Part headers longer than this are refused: no browser sends them, and they would be held whole. */
const MAX_PART_HEADERS_IN_BYTES = 16 * 1024;

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or undefined when it is another type. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Reads a `multipart/form-data` body as it streams in, handing over each part's bytes as they come, so
 * a file part is never held here: the caller decides what to keep (S3 counts a file's size without
 * keeping more than its policy allows). Call `write` per chunk, then `end`; either throws a
 * {@link MalformedFormError}.
 */
export class MultipartFormReader {
  readonly #handlers: FormHandlers;
  /** `\r\n--boundary`: what ends a part's body. */
  readonly #delimiter: Buffer;
  #pending: Buffer = Buffer.alloc(0);
  #state: 'preamble' | 'afterBoundary' | 'headers' | 'body' | 'done' = 'preamble';

  constructor(boundary: string, handlers: FormHandlers) {
    this.#handlers = handlers;
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  write(chunk: Buffer): void {
    if (this.#state === 'done') return;
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#advance();
  }

  end(): void {
    if (this.#state !== 'done') throw new MalformedFormError('The body ends before its closing boundary');
  }

  #advance(): void {
    for (;;) {
      const pending = this.#pending;
      switch (this.#state) {
        case 'preamble': {
          // The first boundary may open the body, without the CRLF every later one follows.
          const opening = this.#delimiter.subarray(2);
          if (pending.length < opening.length) return;
          const at = pending.subarray(0, opening.length).equals(opening)
            ? 0
            : pending.indexOf(this.#delimiter);
          if (at < 0) {
            this.#pending = pending.subarray(Math.max(0, pending.length - this.#delimiter.length));
            return;
          }
          this.#pending = pending.subarray(at === 0 ? opening.length : at + this.#delimiter.length);
          this.#state = 'afterBoundary';
          break;
        }
        case 'afterBoundary': {
          if (pending.length < 2) return;
          if (pending[0] === 0x2d && pending[1] === 0x2d) {
            this.#state = 'done';
            this.#pending = Buffer.alloc(0);
            return;
          }
          const lineEnd = pending.indexOf(CRLF);
          if (lineEnd < 0) {
            if (pending.length > MAX_PART_HEADERS_IN_BYTES) throw new MalformedFormError('Bad boundary line');
            return;
          }
          // Transport padding (spaces, tabs) may follow a boundary before its CRLF.
          if (!/^[ \t]*$/.test(pending.subarray(0, lineEnd).toString('latin1'))) {
            throw new MalformedFormError('Bad boundary line');
          }
          this.#pending = pending.subarray(lineEnd + 2);
          this.#state = 'headers';
          break;
        }
        case 'headers': {
          // A part with no headers at all starts its body right after the boundary's CRLF.
          const end = pending.subarray(0, 2).equals(CRLF) ? -2 : pending.indexOf(HEADERS_END);
          if (end === -1) {
            if (pending.length > MAX_PART_HEADERS_IN_BYTES)
              throw new MalformedFormError('Part headers too long');
            return;
          }
          this.#handlers.part(parsePartHeaders(end < 0 ? '' : pending.subarray(0, end).toString('utf8')));
          this.#pending = pending.subarray(end < 0 ? 2 : end + HEADERS_END.length);
          this.#state = 'body';
          break;
        }
        case 'body': {
          const at = pending.indexOf(this.#delimiter);
          if (at < 0) {
            // Keep what could be the start of a delimiter split across chunks.
            const safe = pending.length - (this.#delimiter.length - 1);
            if (safe > 0) {
              this.#handlers.data(pending.subarray(0, safe));
              this.#pending = pending.subarray(safe);
            }
            return;
          }
          if (at > 0) this.#handlers.data(pending.subarray(0, at));
          this.#handlers.partEnd();
          this.#pending = pending.subarray(at + this.#delimiter.length);
          this.#state = 'afterBoundary';
          break;
        }
        case 'done':
          return;
      }
    }
  }
}

function parsePartHeaders(text: string): FormPart {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) throw new MalformedFormError('Bad part header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    if (name === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new MalformedFormError('A part without a form-data Content-Disposition');
  }
  const name = dispositionParameter(disposition, 'name');
  if (name === undefined) throw new MalformedFormError('A part without a name');
  const filename = dispositionParameter(disposition, 'filename');
  return {
    name,
    ...(filename !== undefined ? { filename } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

function dispositionParameter(disposition: string, parameter: string): string | undefined {
  const match = new RegExp(`;\\s*${parameter}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}
