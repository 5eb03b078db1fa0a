import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { toHex } from '@smithy/core/serde';
import { getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AttachmentObjects, UploadForm } from '../../ports/attachment-objects';
import { S3BlobStore } from './s3-blob-store';

/** Where attachment objects live in the bucket: one flat prefix, keyed by the opaque attachment id. */
export const ATTACHMENT_PREFIX = 'attachments/';

export interface S3AttachmentObjectsOptions {
  readonly bucketName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Base URL of a local stand-in, addressed path-style; unset on AWS (virtual-hosted-style). */
  readonly endpoint?: string | undefined;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Attachment objects in one prefix of an S3 bucket. Browsers upload with a presigned POST form whose
 * policy pins the object's key and its exact size, and download with a presigned GET; both are signed
 * here with SigV4 as the SDK's `createPresignedPost` and `getSignedUrl` sign them, without the S3
 * client those helpers import (about 45 KiB gzip in a function bundle). Deletes go through
 * `S3BlobStore`, which signs requests the same way.
 */
export class S3AttachmentObjects implements AttachmentObjects {
  private readonly signer: SignatureV4;
  private readonly objects: S3BlobStore;
  private readonly clock: () => number;
  private readonly bucketUrl: URL;

  constructor(private readonly options: S3AttachmentObjectsOptions) {
    this.signer = new SignatureV4({
      service: 's3',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
      uriEscapePath: false,
    });
    this.objects = new S3BlobStore(options);
    this.clock = options.clock ?? Date.now;
    this.bucketUrl = options.endpoint
      ? new URL(`${options.endpoint.replace(/\/+$/, '')}/${options.bucketName}/`)
      : new URL(`https://${options.bucketName}.s3.${options.region}.amazonaws.com/`);
  }

  async uploadForm(attachmentId: string, size: number, expiresAt: number): Promise<UploadForm> {
    const now = new Date(this.clock());
    const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const shortDate = amzDate.slice(0, 8);
    const credentials = await this.credentials();
    const fields: Record<string, string> = {
      key: keyOf(attachmentId),
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${credentials.accessKeyId}/${shortDate}/${this.options.region}/s3/aws4_request`,
      'X-Amz-Date': amzDate,
      ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    };
    const policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(expiresAt).toISOString(),
        conditions: [
          { bucket: this.options.bucketName },
          // Exactly the size the slot was counted for: no more, no less.
          ['content-length-range', size, size],
          ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
        ],
      }),
    ).toString('base64');
    const signingKey = await getSigningKey(Sha256, credentials, shortDate, this.options.region, 's3');
    const hash = new Sha256(signingKey);
    hash.update(new TextEncoder().encode(policy));
    return {
      url: this.bucketUrl.href,
      fields: { ...fields, Policy: policy, 'X-Amz-Signature': toHex(await hash.digest()) },
    };
  }

  async downloadUrl(attachmentId: string, expiresAt: number): Promise<string> {
    const now = this.clock();
    const url = new URL(encodeKey(keyOf(attachmentId)), this.bucketUrl);
    const request = new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      // As the SDK's presigner: a link's payload is not signed.
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const signed = await this.signer.presign(request, {
      signingDate: new Date(now),
      expiresIn: Math.max(1, Math.floor((expiresAt - now) / 1000)),
    });
    for (const [name, value] of Object.entries(signed.query ?? {})) {
      url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  async delete(attachmentIds: readonly string[]): Promise<void> {
    await Promise.all(attachmentIds.map((id) => this.objects.delete(keyOf(id))));
  }

  private async credentials(): Promise<AwsCredentialIdentity> {
    const { credentials } = this.options;
    return typeof credentials === 'function' ? credentials() : credentials;
  }
}

function keyOf(attachmentId: string): string {
  return `${ATTACHMENT_PREFIX}${attachmentId}`;
}

/** Attachment ids are base64url: nothing in a key needs escaping but the slash kept as it is. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
