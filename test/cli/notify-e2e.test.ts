import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import type { DiffDocument } from '../../lambda/report/model.ts';
import { documentedSignatureVerifier } from '../helpers/documented-signature.ts';
import { daemonSet, podSpec } from '../helpers/objects.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { runCli } from '../helpers/run-cli.ts';

const SECRET = 'a-signing-secret-of-32-characters!';

/** A cluster of agents: each mounts what it is given. */
async function manifests(
  dir: string,
  agents: Record<string, string>,
  env: Record<string, string> = {},
): Promise<string> {
  const objects = Object.entries(agents).map(([name, hostPath]) =>
    daemonSet(
      name,
      podSpec({
        hostPaths: { v: hostPath },
        containers: [{ name: 'agent', env, mounts: [{ volume: 'v', at: '/host' }] }],
      }),
      'monitoring',
    ),
  );
  const file = join(dir, `cluster-${Object.keys(agents).join('-')}.yaml`);
  await writeFile(file, objects.map((object) => stringify(object)).join('---\n'));
  return file;
}

/** A scan of one manifest file of cluster prod that posts to a signed generic webhook, as a user runs it. */
function genericScan(file: string, webhook: string, options: string[]) {
  return runCli(
    [
      'scan',
      '--manifests',
      file,
      '--cluster-name',
      'prod',
      '--webhook',
      webhook,
      '--webhook-format',
      'generic',
      ...options,
    ],
    { env: { DOCKERSHIM_AUDIT_WEBHOOK_SECRET: SECRET } },
  );
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe('scan posts what changed, after the run is stored', () => {
  test('two runs over changed input: one signed message each, the second with exactly the new and resolved findings', async () => {
    receiver = await startReceiver();
    const dir = await mkdtemp(join(tmpdir(), 'dsa-notify-'));
    const store = join(dir, 'store');
    const scan = (file: string) =>
      genericScan(file, receiver?.url ?? '', ['--store', store, '--out', join(dir, 'out'), '-q']);
    const first = await scan(
      await manifests(dir, { 'agent-a': '/var/run/docker.sock', 'agent-b': '/var/lib/docker' }),
    );
    expect(first.code).toBe(0);
    const second = await scan(await manifests(dir, { 'agent-b': '/var/lib/docker', 'agent-c': '/var/run' }));
    expect(second.code).toBe(0);

    expect(receiver.requests).toHaveLength(2);
    const verify = await documentedSignatureVerifier();
    for (const request of receiver.requests) expect(verify(SECRET, request.headers, request.body)).toBe(true);
    const [baseline, change] = receiver.requests.map((request) => JSON.parse(request.body) as DiffDocument);
    expect(baseline?.baseline).toBe(true);
    expect(change?.baseline).toBe(false);
    const [prod] = change?.clusters ?? [];
    expect(prod?.new.map((finding) => `${finding.rule} ${finding.resource.name}`)).toEqual(['DS002 agent-c']);
    expect(prod?.resolved.map((finding) => `${finding.rule} ${finding.resource.name}`)).toEqual([
      'DS001 agent-a',
    ]);
    expect(prod?.unchanged).toBe(1);
    // The message is the stored diff.json, plus the link to the report.
    const stored = JSON.parse(
      await readFile(join(store, 'runs', change?.runId ?? '', 'diff.json'), 'utf8'),
    ) as DiffDocument;
    expect({ ...change, reportUrl: undefined }).toEqual({ ...stored, reportUrl: undefined });
    expect(change?.reportUrl).toContain(join('runs', change?.runId ?? '', 'report.html'));
  });

  test('nothing changed: nothing is posted (notify: changes)', async () => {
    receiver = await startReceiver();
    const dir = await mkdtemp(join(tmpdir(), 'dsa-notify-'));
    const file = await manifests(dir, { 'agent-a': '/var/run/docker.sock' });
    const args = [
      'scan',
      '--manifests',
      file,
      '--out',
      join(dir, 'store'),
      '--webhook',
      receiver.url,
      '--webhook-format',
      'slack',
    ];
    await runCli(args);
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Notification: not sent');
    expect(receiver.requests).toHaveLength(1);
  });

  test('a Slack message cannot ping the channel through cluster data', async () => {
    receiver = await startReceiver();
    const dir = await mkdtemp(join(tmpdir(), 'dsa-notify-'));
    const file = await manifests(
      dir,
      { 'agent-a': '/var/run' },
      { DOCKER_HOST: 'unix:///host/docker.sock <!channel> <http://evil.example|click>' },
    );
    const run = await runCli([
      'scan',
      '--manifests',
      file,
      '--out',
      join(dir, 'store'),
      '--webhook',
      receiver.url,
      '--webhook-format',
      'slack',
      '-q',
    ]);
    expect(run.code).toBe(0);
    const body = receiver.requests[0]?.body ?? '';
    expect(body).toContain('&lt;!channel&gt;');
    expect(body).not.toContain('<!channel>');
    expect(body).not.toContain('<http://evil.example|click>');
  });

  test('a receiver that fails, then recovers: the next run announces what the failed message had, then goes quiet', async () => {
    let failing = false;
    receiver = await startReceiver(() =>
      failing ? { status: 404, body: 'no_service' } : { status: 200, body: 'ok' },
    );
    const dir = await mkdtemp(join(tmpdir(), 'dsa-notify-'));
    const store = join(dir, 'store');
    const scan = (file: string) => genericScan(file, receiver?.url ?? '', ['--out', store]);
    const before = await manifests(dir, { 'agent-a': '/var/lib/docker' });
    const after = await manifests(dir, { 'agent-a': '/var/lib/docker', 'agent-b': '/var/run/docker.sock' });

    expect((await scan(before)).code).toBe(0);
    failing = true;
    const failed = await scan(after);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/Notification FAILED: generic webhook .*HTTP 404: no_service/);
    expect(failed.stdout).toMatch(
      /The next run will announce these changes to generic webhook http:\/\/127\.0\.0\.1:\d+\/…/,
    );
    const missedRun = (JSON.parse(await readFile(join(store, 'latest.json'), 'utf8')) as { runId: string })
      .runId;

    failing = false;
    const caughtUp = await scan(after);
    expect(caughtUp.code).toBe(0);
    const posted = receiver.requests.filter((request) => request.body.startsWith('{'));
    const message = JSON.parse(posted.at(-1)?.body ?? '{}') as DiffDocument;
    expect(message.clusters[0]?.new.map((finding) => `${finding.rule} ${finding.resource.name}`)).toEqual([
      'DS001 agent-b',
    ]);
    expect(message.previousRunId).toBe(JSON.parse(posted[0]?.body ?? '{}').runId);
    expect(message.notes.join(' ')).toContain(`the message of run ${missedRun} could not be delivered`);
    // The evidence is untouched: the missed run's diff.json still compares with the run before it.
    const missedDiff = JSON.parse(await readFile(join(store, 'runs', missedRun, 'diff.json'), 'utf8'));
    expect(missedDiff.summary.new).toBe(1);
    expect((await runCli(['verify', '--store', store])).code).toBe(0);

    const quiet = await scan(after);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('Notification: not sent (no changes since');
  }, 90_000); // five CLI processes

  test('a receiver that keeps failing: the report is stored, the failure is shown, exit 1', async () => {
    receiver = await startReceiver(() => ({ status: 500, body: 'upstream broke' }));
    const dir = await mkdtemp(join(tmpdir(), 'dsa-notify-'));
    const store = join(dir, 'store');
    const run = await runCli([
      'scan',
      '--manifests',
      await manifests(dir, { 'agent-a': '/var/run/docker.sock' }),
      '--out',
      store,
      '--webhook',
      receiver.url,
      '--webhook-format',
      'slack',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Notification FAILED: slack webhook http:\/\/127\.0\.0\.1:\d+\/…: HTTP 500: upstream broke/,
    );
    expect(run.stderr).toContain(
      'the notification could not be delivered; the report is stored all the same',
    );
    expect(receiver.requests.length).toBeGreaterThan(1);
    const latest = JSON.parse(await readFile(join(store, 'latest.json'), 'utf8')) as { runId: string };
    await expect(readFile(join(store, 'runs', latest.runId, 'report.json'), 'utf8')).resolves.toContain(
      '"schemaVersion": 1',
    );
  });
});
