import { BlockPublicAccess, BucketEncryption, type BucketProps, ObjectOwnership } from 'aws-cdk-lib/aws-s3';

/**
 * What every bucket of the app shares: no public access, no ACLs, HTTPS only, S3-managed encryption (Origin
 * Access Control reads SSE-KMS objects only with a key policy for CloudFront), and no versions (objects are
 * written once under content-derived keys, or rewritten whole by each deploy) unless the topology asks for
 * them (`BucketDefinition.noncurrentVersionDays`: buckets that hold history).
 *
 * @example
 * new Bucket(this, 'SiteBucket', { ...PRIVATE_BUCKET, bucketName, removalPolicy: RemovalPolicy.DESTROY });
 */
export const PRIVATE_BUCKET = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  encryption: BucketEncryption.S3_MANAGED,
  versioned: false,
} as const satisfies BucketProps;
