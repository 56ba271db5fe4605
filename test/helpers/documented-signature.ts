import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.ts';

export type VerifySignature = (
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: string | Buffer,
  toleranceSeconds?: number,
) => boolean;

/** Where the receiver's check is documented. */
export const SIGNATURE_DOC = 'docs/notifications.md';

/**
 * The signature check exactly as docs/notifications.md tells users to write it: the code block
 * between the verify-signature markers, loaded as a module. If the recipe is wrong, the tests fail.
 */
export async function documentedSignatureVerifier(): Promise<VerifySignature> {
  const page = readFileSync(join(REPO_ROOT, SIGNATURE_DOC), 'utf8');
  const block = /<!-- verify-signature:start -->\s*```js\n([\s\S]*?)```\s*<!-- verify-signature:end -->/.exec(
    page,
  );
  if (!block?.[1]) throw new Error(`${SIGNATURE_DOC} has no verify-signature code block`);
  const file = join(await mkdtemp(join(tmpdir(), 'dsa-signature-')), 'verify.mjs');
  await writeFile(file, block[1]);
  const module = (await import(pathToFileURL(file).href)) as {
    verifyDockershimAuditSignature?: VerifySignature;
  };
  if (typeof module.verifyDockershimAuditSignature !== 'function') {
    throw new Error(`${SIGNATURE_DOC}'s code block does not export verifyDockershimAuditSignature`);
  }
  return module.verifyDockershimAuditSignature;
}
