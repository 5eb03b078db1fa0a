import { describe, expect, it } from 'vitest';
import { type FormPart, formBoundary, MalformedFormError, MultipartFormReader } from './multipart-form';

const BOUNDARY = '----formdata-undici-0123456789';

/** A body as browsers send it: each part's headers, a blank line, its bytes. */
function body(parts: Array<{ name: string; filename?: string; value: string }>): Buffer {
  const pieces = parts.map(({ name, filename, value }) => {
    const disposition = `form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}`;
    const type = filename !== undefined ? '\r\nContent-Type: application/octet-stream' : '';
    return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n${value}\r\n`;
  });
  return Buffer.from(`${pieces.join('')}--${BOUNDARY}--\r\n`);
}

/** Reads a body in the given chunks; returns each part with its bytes and when they arrived. */
function read(chunks: Buffer[]) {
  const parts: Array<FormPart & { value: string; firstDataAtChunk: number }> = [];
  let chunkIndex = 0;
  let current: (FormPart & { bytes: Buffer[]; firstDataAtChunk: number }) | undefined;
  const reader = new MultipartFormReader(BOUNDARY, {
    part: (part) => {
      current = { ...part, bytes: [], firstDataAtChunk: -1 };
    },
    data: (chunk) => {
      if (!current) throw new Error('data outside a part');
      if (current.firstDataAtChunk < 0) current.firstDataAtChunk = chunkIndex;
      current.bytes.push(chunk);
    },
    partEnd: () => {
      if (!current) throw new Error('end outside a part');
      const { bytes, ...part } = current;
      parts.push({ ...part, value: Buffer.concat(bytes).toString('utf8') });
      current = undefined;
    },
  });
  for (const chunk of chunks) {
    reader.write(chunk);
    chunkIndex++;
  }
  reader.end();
  return parts;
}

const FORM = [
  { name: 'key', value: 'attachments/a.bin' },
  { name: 'Policy', value: 'eyJleHBpcmF0aW9uIjoiMjAyNiJ9' },
  // A file whose bytes look like a boundary's start, and hold CRLFs.
  { name: 'file', filename: 'a.bin', value: `\r\n--${BOUNDARY.slice(0, 10)}\r\n\r\n\u00ff\u0000end` },
];

describe('MultipartFormReader', () => {
  it('reads fields and a file, however the body is split', () => {
    const whole = body(FORM);
    const expected = FORM.map(({ name, filename, value }) => ({
      name,
      value,
      ...(filename ? { filename } : {}),
    }));
    for (let at = 0; at <= whole.length; at++) {
      const parts = read([whole.subarray(0, at), whole.subarray(at)]);
      expect(
        parts.map(({ name, filename, value }) => ({ name, value, ...(filename ? { filename } : {}) })),
      ).toEqual(
        expected.map((part) => ({ ...part, value: Buffer.from(part.value, 'latin1').toString('latin1') })),
      );
    }
  });

  it("hands over a file's bytes as they arrive, not once the body has ended", () => {
    const file = 'x'.repeat(64 * 1024);
    const whole = body([
      { name: 'key', value: 'k' },
      { name: 'file', filename: 'f', value: file },
    ]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 1024) chunks.push(whole.subarray(at, at + 1024));

    const parts = read(chunks);

    expect(parts[1]?.value).toBe(file);
    expect(parts[1]?.firstDataAtChunk).toBeLessThan(2);
  });

  it.each([
    ['a body cut before its closing boundary', body(FORM).subarray(0, 120)],
    [
      'a part without Content-Disposition',
      Buffer.from(`--${BOUNDARY}\r\nX-Other: 1\r\n\r\nv\r\n--${BOUNDARY}--`),
    ],
    [
      'a part without a name',
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--${BOUNDARY}--`),
    ],
  ])('refuses %s', (_, bytes) => {
    expect(() => read([bytes])).toThrow(MalformedFormError);
  });
});

describe('formBoundary', () => {
  it('reads the boundary of a multipart/form-data type only', () => {
    expect(formBoundary(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY);
    expect(formBoundary('Multipart/Form-Data; boundary="a b"')).toBe('a b');
    expect(formBoundary('application/xml')).toBeUndefined();
    expect(formBoundary('multipart/mixed; boundary=x')).toBeUndefined();
    expect(formBoundary(undefined)).toBeUndefined();
  });
});
