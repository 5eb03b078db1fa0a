import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TestStack } from './stack';
import { tableReader } from './table';

/** Text of every stored value: strings as they are, bytes both raw and in base64. */
export function flatten(value: unknown): string {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    return `${bytes.toString('latin1')}\n${bytes.toString('base64')}`;
  }
  if (value instanceof Set) return [...value].map(flatten).join('\n');
  if (Array.isArray(value)) return value.map(flatten).join('\n');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, inner]) => `${key}\n${flatten(inner)}`)
      .join('\n');
  }
  return String(value);
}

/** Everything the server keeps: every item of the table (a full scan) and every object in every bucket. */
export interface ServerContents {
  readonly items: Array<Record<string, unknown>>;
  /** One entry per object: its key, then its bytes (see `flatten`). */
  readonly objects: string[];
  /** All of it as one searchable text. */
  readonly text: string;
}

/** Reads everything the local stack stored, with the real SDK clients, for a canary search. */
export async function serverContents(stack: TestStack): Promise<ServerContents> {
  const table = tableReader(stack);
  const s3 = new S3Client({
    endpoint: stack.resources.s3Endpoint,
    region: stack.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const items: Array<Record<string, unknown>> = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await table.client.send(
        new ScanCommand({ TableName: table.tableName, ExclusiveStartKey }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
    const objects: string[] = [];
    for (const bucket of Object.values(stack.resources.buckets)) {
      let ContinuationToken: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket.name, ContinuationToken }));
        for (const { Key } of page.Contents ?? []) {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key }));
          objects.push(`${Key}\n${flatten(await object.Body?.transformToByteArray())}`);
        }
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken !== undefined);
    }
    return { items, objects, text: [...items.map(flatten), ...objects].join('\n') };
  } finally {
    s3.destroy();
    table.destroy();
  }
}
