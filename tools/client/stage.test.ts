import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultOutputsFile, findOutput, readStageOutputs, subjectOf } from './stage';

const dir = mkdtempSync(join(tmpdir(), 'parley-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jwt = (claims: object) =>
  ['{"alg":"none"}', JSON.stringify(claims), '']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

describe('a stage as a command finds it', () => {
  it('looks for outputs-NAME.json, and for the local stage where npm start writes them', () => {
    expect(defaultOutputsFile('dev')).toBe('outputs-dev.json');
    expect(defaultOutputsFile('local')).toBe('.local/outputs.json');
  });

  it('reads an outputs file and finds an output in whichever stack declares it', () => {
    const file = join(dir, 'outputs.json');
    writeFileSync(
      file,
      JSON.stringify({
        'Parley-dev-Auth': { Region: 'eu-west-1' },
        'Parley-dev-Web': { WebUrl: 'https://x' },
      }),
    );
    const outputs = readStageOutputs(file);
    expect(findOutput(outputs, 'WebUrl')).toBe('https://x');
    expect(findOutput(outputs, 'MailboxUrl')).toBeUndefined();
  });

  it('names the file it cannot read or that is not an outputs file', () => {
    expect(() => readStageOutputs(join(dir, 'missing.json'))).toThrow(/missing\.json: is the stage deployed/);
    const file = join(dir, 'flat.json');
    writeFileSync(file, JSON.stringify({ Region: 'eu-west-1' }));
    expect(() => readStageOutputs(file)).toThrow(/flat\.json is not an outputs file/);
    writeFileSync(file, '{ not json');
    expect(() => readStageOutputs(file)).toThrow(/flat\.json is not an outputs file/);
  });

  it('reads the user id from an access token, and refuses one that names nobody', () => {
    expect(subjectOf(jwt({ sub: 'u-1', token_use: 'access' }))).toBe('u-1');
    expect(() => subjectOf(jwt({ token_use: 'access' }))).toThrow('The token names no subject');
    expect(() => subjectOf('not-a-token')).toThrow('The token names no subject');
  });
});
