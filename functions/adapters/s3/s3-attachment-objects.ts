import { Sha256 } from '@smithy/core/checksum';
import { toHex } from '@smithy/core/serde';
import { getSigningKey } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { blobKeys } from '../../chat/mls/blob-keys';
import type { AvatarObjects, UploadForm } from '../../ports/attachment-objects';
import { S3BlobStore } from './s3-blob-store';

export interface S3AttachmentObjectsOptions {
  readonly bucketName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Base URL of a local stand-in, addressed path-style; unset on AWS (virtual-hosted-style). */
  readonly endpoint?: string | undefined;
  /** @default Date.now */
  readonly clock?: () => number;
  /**
   * The key of an object by its id.
   * @default blobKeys.attachment (attachments/{id}); profile pictures use blobKeys.avatar
   */
  readonly keyOf?: (id: string) => string;
}

/**
 * Attachment objects in one prefix of an S3 bucket. Browsers upload with a presigned POST form whose
 * policy pins the object's key and its exact size (signed here as the SDK's `createPresignedPost`
 * signs it, without the S3 client that helper imports: about 45 KiB gzip in a function bundle), and
 * download with `S3BlobStore`'s presigned GET; deletes go through `S3BlobStore` too.
 */
export class S3AttachmentObjects implements AvatarObjects {
  private readonly objects: S3BlobStore;
  private readonly clock: () => number;
  private readonly keyOf: (id: string) => string;

  constructor(private readonly options: S3AttachmentObjectsOptions) {
    this.objects = new S3BlobStore(options);
    this.clock = options.clock ?? Date.now;
    this.keyOf = options.keyOf ?? blobKeys.attachment;
  }

  async uploadForm(attachmentId: string, size: number, expiresAt: number): Promise<UploadForm> {
    const amzDate = new Date(this.clock()).toISOString().replace(/[-:]|\.\d{3}/g, '');
    const shortDate = amzDate.slice(0, 8);
    const credentials = await this.credentials();
    const fields: Record<string, string> = {
      key: this.keyOf(attachmentId),
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
      url: this.objects.bucketUrl,
      fields: { ...fields, Policy: policy, 'X-Amz-Signature': toHex(await hash.digest()) },
    };
  }

  async downloadUrl(attachmentId: string, expiresAt: number): Promise<string> {
    return this.objects.presignedGet(this.keyOf(attachmentId), this.clock(), expiresAt);
  }

  async delete(attachmentIds: readonly string[]): Promise<void> {
    await Promise.all(attachmentIds.map((id) => this.objects.delete(this.keyOf(id))));
  }

  async sizeOf(attachmentId: string): Promise<number | undefined> {
    return this.objects.size(this.keyOf(attachmentId));
  }

  private async credentials(): Promise<AwsCredentialIdentity> {
    const { credentials } = this.options;
    return typeof credentials === 'function' ? credentials() : credentials;
  }
}
