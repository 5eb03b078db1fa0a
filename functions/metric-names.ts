/**
 * The metrics Parley sends, one name and unit each, in one CloudWatch namespace with two dimensions:
 * `stage` and `service` (the function's). Plain data: the functions' adapter and the infrastructure
 * (alarms, dashboards) read the same names.
 */
export const METRICS_NAMESPACE = 'Parley';

/** The dimensions every metric carries: few values each, so a figure is one series per function and stage. */
export const METRIC_DIMENSIONS = ['service', 'stage'] as const;

export const METRICS = {
  messagesStored: { name: 'MessagesStored', unit: 'Count' },
  fanoutRecipients: { name: 'FanoutRecipients', unit: 'Count' },
  fanoutPosts: { name: 'FanoutPosts', unit: 'Count' },
  connectionsGone: { name: 'ConnectionsGone', unit: 'Count' },
  sendToPushDelay: { name: 'SendToPushDelay', unit: 'Milliseconds' },
  fanoutJobsFailed: { name: 'FanoutJobsFailed', unit: 'Count' },
  commitConflicts: { name: 'CommitConflicts', unit: 'Count' },
  rateLimitRefusals: { name: 'RateLimitRefusals', unit: 'Count' },
  capsReached: { name: 'CapsReached', unit: 'Count' },
  attachmentBytesGranted: { name: 'AttachmentBytesGranted', unit: 'Bytes' },
  webPushesSent: { name: 'WebPushesSent', unit: 'Count' },
  webPushesFailed: { name: 'WebPushesFailed', unit: 'Count' },
} as const satisfies Record<string, { name: string; unit: 'Count' | 'Milliseconds' | 'Bytes' }>;

export type MetricKey = keyof typeof METRICS;
