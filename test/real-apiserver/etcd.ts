/**
 * etcd's v3 JSON gateway (plain HTTP on loopback), for what only etcd can do: compaction.
 * Keys and values are base64, as the gateway wants them.
 */
async function call(etcdUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Writes a key nobody reads (so the store's revision moves past every continue token handed
 * out so far) and compacts the history up to it: every such token now names a revision etcd
 * has forgotten, as after the API server's own periodic compaction on a busy cluster.
 */
export async function compactEverything(etcdUrl: string): Promise<number> {
  const put = await call(etcdUrl, '/v3/kv/put', {
    key: b64('/dockershim-audit-test/tick'),
    value: b64(`${Date.now()}`),
  });
  const revision = Number((put.header as { revision?: string } | undefined)?.revision);
  if (!Number.isInteger(revision) || revision <= 0)
    throw new Error(`etcd put: no revision in ${JSON.stringify(put)}`);
  await call(etcdUrl, '/v3/kv/compaction', { revision, physical: true });
  return revision;
}
