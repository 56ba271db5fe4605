import { createHash } from 'node:crypto';

/** Hex SHA-256 of text (as UTF-8) or bytes: what the evidence manifest records and the reports show. */
export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}
