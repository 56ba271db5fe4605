import { createHmac } from 'node:crypto';
import type { DiffDocument } from '../report/model.ts';

/**
 * The generic webhook posts the diff document itself (`diff.json`), signed so that the receiver
 * can tell it came from this tool and was not replayed: HMAC-SHA256 over `<timestamp>.<body>`,
 * the timestamp (Unix seconds) in its own header. docs/notifications.md shows how to verify it.
 */
export const SIGNATURE_HEADER = 'X-Signature-256';
export const TIMESTAMP_HEADER = 'X-Dockershim-Audit-Timestamp';
export const EVENT_HEADER = 'X-Dockershim-Audit-Event';

export function genericBody(diff: DiffDocument): string {
  return JSON.stringify(diff);
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The signature headers for one attempt; each attempt is signed with its own time. */
export function signatureHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signPayload(secret, timestamp, body) };
}
