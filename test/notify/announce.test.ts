import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { REPORT_FORMATS } from '../../lambda/defaults.ts';
import { DELIVERY_RECORD_KEY } from '../../lambda/notify/delivery-record.ts';
import { publishRun } from '../../lambda/pipeline.ts';
import type { DiffDocument } from '../../lambda/report/model.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { slackAndGeneric, webhookSettings } from '../helpers/notify-fixtures.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { dockerLogReader, scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

/**
 * The promise a failed notification makes, kept through the real pipeline: a local store, real
 * HTTP receivers that fail and recover, the record in notifications/state.json.
 */
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** A receiver that fails while `health.up` is false. */
async function switchable(path = '/hook'): Promise<{ receiver: Receiver; health: { up: boolean } }> {
  const health = { up: true };
  const receiver = await startReceiver(
    () => (health.up ? { status: 200, body: 'ok' } : { status: 503, body: 'down for maintenance' }),
    path,
  );
  receivers.push(receiver);
  return { receiver, health };
}

async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-announce-'));
  const store = new LocalDirectoryStore(join(dir, 'store'));
  const quiet = await writeSnapshot(dir, 'quiet.json', [dockerLogReader('reader')]);
  const noisy = await writeSnapshot(dir, 'noisy.json', [dockerLogReader('reader'), socketAgent('agent')]);
  return { dir, store, quiet, noisy };
}

const posted = (receiver: Receiver) =>
  receiver.requests.filter((request) => request.body !== '').map((request) => request.body);

describe('a failed notification is announced by the next run', () => {
  test('two targets, one fails: the next run catches up only the one that missed the change', async () => {
    const { store, quiet, noisy } = await setUp();
    const slack = await switchable('/slack');
    const generic = await switchable('/generic');
    const settings = slackAndGeneric(slack.receiver.url, generic.receiver.url);
    const scan = (file: string) => scanManifests({ prod: [file] }, store, { notify: settings });

    await scan(quiet);
    generic.health.up = false;
    const missed = await scan(noisy);
    expect(missed.notification?.ok).toBe(false);
    expect(missed.notification?.followUp).toMatch(
      /^The next run will announce these changes to generic webhook/,
    );
    expect(missed.notification?.deliveries.map((delivery) => delivery.status)).toEqual([
      'delivered',
      'failed',
    ]);

    generic.health.up = true;
    const slackBefore = posted(slack.receiver).length;
    const genericBefore = generic.receiver.requests.length;
    const next = await scan(noisy);
    expect(next.notification).toMatchObject({ ok: true, sent: true });
    // Slack heard the change already: nothing new for it.
    expect(posted(slack.receiver)).toHaveLength(slackBefore);
    // The generic receiver gets the change it missed, compared with the last run it heard about.
    expect(generic.receiver.requests.length).toBe(genericBefore + 1);
    const message = JSON.parse(generic.receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
    expect(message.previousRunId).not.toBe(missed.report.runId);
    expect(message.clusters[0]?.new.map((finding) => finding.resource.name)).toEqual(['agent']);
    expect(message.notes[0]).toContain(`the message of run ${missed.report.runId} could not be delivered`);
    // The run's own diff.json still says "nothing changed since the run before".
    expect(next.diff.summary.new).toBe(0);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  test('a target whose very first message failed gets the baseline next time', async () => {
    const { store, noisy } = await setUp();
    const generic = await switchable();
    generic.health.up = false;
    const only = webhookSettings('generic', generic.receiver.url);
    await scanManifests({ prod: [noisy] }, store, { notify: only });
    generic.health.up = true;
    const next = await scanManifests({ prod: [noisy] }, store, { notify: only });

    expect(next.notification).toMatchObject({ ok: true, sent: true, reason: 'first run: baseline summary' });
    const message = JSON.parse(generic.receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
    expect(message.baseline).toBe(true);
    expect(message.notes[0]).toMatch(/^No message has reached this target yet/);
  });

  test('the same run published twice (a retried fleet aggregate) is announced once', async () => {
    const { store, quiet } = await setUp();
    const generic = await switchable();
    const only = webhookSettings('generic', generic.receiver.url, 'always');
    const policy = defaultPolicy(new Date('2026-11-22T00:00:00Z'));
    const clusters = [await auditCluster(new ManifestSource('prod', [quiet]), policy)];
    const times = {
      startedAt: new Date('2026-11-22T03:00:00Z'),
      auditedAt: new Date('2026-11-22T03:01:00Z'),
    };
    const request = {
      policy,
      formats: REPORT_FORMATS,
      store,
      notify: only,
      runId: '20261122T030000Z-abcdef',
      now: () => new Date('2026-11-22T03:02:00Z'),
    };
    const first = await publishRun(clusters, times, request);
    const again = await publishRun(clusters, times, request);

    expect(first.notification).toMatchObject({ sent: true, ok: true });
    // The store hands back the stored run, and nothing is announced again.
    expect(again.alreadyStored).toBe(true);
    expect(again.notification).toBeUndefined();
    expect(generic.receiver.requests).toHaveLength(1);
  });

  test('a run stored but never announced (it stopped before notifying) is caught up by the next', async () => {
    const { store, quiet, noisy } = await setUp();
    const generic = await switchable();
    const settings = webhookSettings('generic', generic.receiver.url);
    await scanManifests({ prod: [quiet] }, store, { notify: settings });
    const silent = await scanManifests({ prod: [noisy] }, store, {});
    const next = await scanManifests({ prod: [noisy] }, store, { notify: settings });

    expect(next.diff.summary.new).toBe(0);
    expect(next.notification).toMatchObject({ sent: true, ok: true });
    const message = JSON.parse(generic.receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
    expect(message.clusters[0]?.new.map((finding) => finding.resource.name)).toEqual(['agent']);
    expect(message.previousRunId).not.toBe(silent.report.runId);
    expect(message.notes[0]).toContain('a run after it stored its report but sent no message here');
  });

  test('a record that cannot be read is said in the message, not taken as "all delivered"', async () => {
    const { store, quiet, noisy } = await setUp();
    const generic = await switchable();
    const only = webhookSettings('generic', generic.receiver.url);
    await scanManifests({ prod: [quiet] }, store, { notify: only });
    await writeFile(
      join(store.location, DELIVERY_RECORD_KEY),
      '{"kind": "dockershim-audit.notifications", "tar',
    );
    const next = await scanManifests({ prod: [noisy] }, store, { notify: only });

    const message = JSON.parse(generic.receiver.requests.at(-1)?.body ?? '{}') as DiffDocument;
    expect(message.notes[0]).toMatch(
      /^The record of earlier deliveries \(notifications\/state\.json\) was ignored: it is not a record this tool writes\. If an earlier message failed, its changes may be missing here\./,
    );
    expect(next.notification?.ok).toBe(true);
    // Written anew: the next run reads it again.
    expect(JSON.parse(await readFile(join(store.location, DELIVERY_RECORD_KEY), 'utf8')).kind).toBe(
      'dockershim-audit.notifications',
    );
  });

  test('a delivery that cannot be recorded: the run fails and the output stops promising', async () => {
    const { store, quiet, noisy } = await setUp();
    const generic = await switchable();
    const only = webhookSettings('generic', generic.receiver.url);
    await scanManifests({ prod: [quiet] }, store, { notify: only });
    // A file where the record's folder should be: the record cannot be written.
    await rm(join(store.location, 'notifications'), { recursive: true });
    await writeFile(join(store.location, 'notifications'), 'not a folder');
    generic.health.up = false;
    const failed = await scanManifests({ prod: [noisy] }, store, { notify: only });

    expect(failed.notification?.ok).toBe(false);
    expect(failed.notification?.followUp).toMatch(
      /^The record of deliveries \(notifications\/state\.json\) could not be written: .*The next run will not know this message failed, and will not announce these changes again\.$/,
    );
  });
});
