/**
 * What a message costs on AWS, priced from the units the local stack metered
 * (`infra/local/meter.ts`), and the design's floor priced the same way.
 *
 * Prices: us-east-1, on demand, list prices as of 2026, first pricing tier,
 * no free tier. Each constant names the page it comes from.
 */
import type { Usage } from '../infra/local/meter';

export const PRICES_IN_USD = {
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.625 per million write request units. */
  dynamoDbWriteRequestUnit: 0.625 / 1_000_000,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.125 per million read request units. */
  dynamoDbReadRequestUnit: 0.125 / 1_000_000,
  /** https://aws.amazon.com/api-gateway/pricing/ : WebSocket APIs, $1.00 per million messages (32 KB units). */
  apiGatewayWebSocketMessage: 1 / 1_000_000,
  /** https://aws.amazon.com/lambda/pricing/ : $0.20 per million requests. */
  lambdaRequest: 0.2 / 1_000_000,
  /** https://aws.amazon.com/lambda/pricing/ : Arm, $0.0000133334 per GB-second (first 7.5 billion GB-s a month). */
  lambdaArmGbSecond: 0.0000133334,
  /** https://aws.amazon.com/sqs/pricing/ : standard queues, $0.40 per million requests (64 KB chunks). */
  sqsStandardRequest: 0.4 / 1_000_000,
  /** https://aws.amazon.com/api-gateway/pricing/ : HTTP APIs, $1.00 per million requests (first 300 million, 512 KB units). */
  apiGatewayHttpRequest: 1 / 1_000_000,
  /** https://aws.amazon.com/s3/pricing/ : S3 Standard, first 50 TB a month, $0.023 per GB-month. */
  s3StandardGbMonth: 0.023,
  /** https://aws.amazon.com/s3/pricing/ : S3 Standard, PUT, COPY, POST, LIST requests, $0.005 per 1,000. */
  s3PostRequest: 0.005 / 1_000,
  /** https://aws.amazon.com/s3/pricing/ : S3 Standard, GET, SELECT and all other requests, $0.0004 per 1,000 (DELETE is free). */
  s3GetRequest: 0.0004 / 1_000,
  /** https://aws.amazon.com/s3/pricing/ : data transfer out from S3 to the internet, first 10 TB a month, $0.09 per GB. */
  s3TransferOutGb: 0.09,
} as const;

/** Billed units per message. */
export interface UnitsPerMessage {
  readonly readUnits: number;
  /** Table writes, failed conditional writes not included. */
  readonly writeUnits: number;
  readonly gsiWriteUnits: number;
  readonly failedConditionalWrites: number;
  readonly failedConditionalWriteUnits: number;
  /** Sends (per 64 KB), receives that returned messages, deletes. */
  readonly sqsRequests: number;
  /** In and out, per 32 KB. */
  readonly apiGatewayMessages: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
}

/** Dollars per million messages, by service. */
export interface CostPerMillion {
  readonly dynamodb: number;
  readonly apigateway: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly total: number;
}

/** The meter's units over `messages` messages, per message. */
export function unitsPerMessage(usage: Usage, messages: number): UnitsPerMessage {
  const lambdas = Object.values(usage.lambda);
  const per = (value: number) => value / messages;
  return {
    readUnits: per(usage.dynamodb.readUnits),
    writeUnits: per(usage.dynamodb.writeUnits),
    gsiWriteUnits: per(usage.dynamodb.gsiWriteUnits),
    failedConditionalWrites: per(usage.dynamodb.failedConditionalWrites),
    failedConditionalWriteUnits: per(usage.dynamodb.failedConditionalWriteUnits),
    // Empty long polls are the pollers' fixed cost, whatever the traffic: not a message's.
    sqsRequests: per(usage.sqs.sendRequests + usage.sqs.receivesWithMessages + usage.sqs.deleteRequests),
    apiGatewayMessages: per(usage.apigateway.messagesIn + usage.apigateway.messagesOut),
    lambdaInvocations: per(lambdas.reduce((sum, fn) => sum + (fn?.invocations ?? 0), 0)),
    lambdaGbSeconds: per(lambdas.reduce((sum, fn) => sum + (fn?.gbSeconds ?? 0), 0)),
  };
}

/** Prices units per message, as dollars per million messages. */
export function costPerMillion(units: UnitsPerMessage): CostPerMillion {
  const million = 1_000_000;
  const dynamodb =
    million *
    (units.readUnits * PRICES_IN_USD.dynamoDbReadRequestUnit +
      (units.writeUnits + units.gsiWriteUnits + units.failedConditionalWriteUnits) *
        PRICES_IN_USD.dynamoDbWriteRequestUnit);
  const apigateway = million * units.apiGatewayMessages * PRICES_IN_USD.apiGatewayWebSocketMessage;
  const sqs = million * units.sqsRequests * PRICES_IN_USD.sqsStandardRequest;
  const lambda =
    million *
    (units.lambdaInvocations * PRICES_IN_USD.lambdaRequest +
      units.lambdaGbSeconds * PRICES_IN_USD.lambdaArmGbSecond);
  return { dynamodb, apigateway, sqs, lambda, total: dynamodb + apigateway + sqs + lambda };
}

/**
 * The design's floor for one message (DESIGN.md §5): 1 inbound message, 1 message write and 1 counter
 * update (each under 1 KB: 1 write unit), 1 SQS request, 1 sender invocation per batch (batches of one,
 * as the benchmark's messages go one at a time), and 1 post per recipient connection. No reads, no
 * index writes; Lambda's duration is not part of it.
 */
export function floorUnits(recipientConnections: number): UnitsPerMessage {
  return {
    readUnits: 0,
    writeUnits: 2,
    gsiWriteUnits: 0,
    failedConditionalWrites: 0,
    failedConditionalWriteUnits: 0,
    sqsRequests: 1,
    apiGatewayMessages: 1 + recipientConnections,
    lambdaInvocations: 1,
    lambdaGbSeconds: 0,
  };
}

/** DynamoDB and Lambda units of the API calls around one attachment, as the local stack metered them. */
export interface UnitsPerAttachment {
  /** Requesting the upload slot (`POST /conversations/{id}/attachments`). */
  readonly createUpload: UnitsPerMessage;
  /** What naming the attachment adds to the message that carries it, over the same message without it. */
  readonly carry: UnitsPerMessage;
  /** One recipient's download link (`GET /conversations/{id}/attachments/{attachmentId}`). */
  readonly getAttachment: UnitsPerMessage;
  /** The sweep that keeps a carried attachment a day after its upload. */
  readonly sweep: UnitsPerMessage;
}

/** How a gigabyte of attachments is used, for {@link attachmentCostPerGb}. */
export interface AttachmentMix {
  /** Files that make up the gigabyte. */
  readonly files: number;
  /** Recipients who download each file once. */
  readonly recipients: number;
  /** Months the files are kept. */
  readonly months: number;
}

/** Dollars for a gigabyte of attachments used as the mix says, by what AWS bills. */
export interface AttachmentCost {
  readonly storage: number;
  readonly s3Requests: number;
  readonly transferOut: number;
  /** HTTP API requests, DynamoDB and Lambda of the slot, the link per recipient, the tie and the sweep. */
  readonly api: number;
  readonly total: number;
}

/** Dollars of DynamoDB and Lambda for units of one call (a message's price function, for one). */
export const unitDollars = (units: UnitsPerMessage) => {
  const { dynamodb, lambda } = costPerMillion(units);
  return (dynamodb + lambda) / 1_000_000;
};

/**
 * What storing and moving 1 GB of attachments costs: the ciphertext stored for the months, one POST per
 * file, one GET and one GB out per recipient, and per file the API calls with their metered units. The
 * message carrying a file is a message, priced as one elsewhere; only what naming the file adds is here.
 */
export function attachmentCostPerGb(units: UnitsPerAttachment, mix: AttachmentMix): AttachmentCost {
  const { files, recipients, months } = mix;
  const storage = PRICES_IN_USD.s3StandardGbMonth * months;
  const s3Requests = files * (PRICES_IN_USD.s3PostRequest + recipients * PRICES_IN_USD.s3GetRequest);
  const transferOut = recipients * PRICES_IN_USD.s3TransferOutGb;
  const api =
    files *
    ((1 + recipients) * PRICES_IN_USD.apiGatewayHttpRequest +
      unitDollars(units.createUpload) +
      unitDollars(units.carry) +
      recipients * unitDollars(units.getAttachment) +
      unitDollars(units.sweep));
  return { storage, s3Requests, transferOut, api, total: storage + s3Requests + transferOut + api };
}
