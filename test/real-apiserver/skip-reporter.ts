import type { Reporter, TestModule } from 'vitest/node';
import { realApiServerBinary } from './server.ts';

/**
 * Says once more, after the run's summary where a reader looks, that the real kube-apiserver
 * tier was skipped and why: each of its files says so when it loads, but amid the output of a
 * thousand tests. Silent when the tier ran or was not part of the run.
 */
export default class RealApiServerSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const tier = testModules.filter((module) => module.moduleId.includes('/test/real-apiserver/'));
    if (tier.length === 0 || tier.some((module) => module.state() !== 'skipped')) return;
    const located = realApiServerBinary();
    const why = 'missing' in located ? located.missing : 'the binary appeared during the run';
    process.stderr.write(
      `\nreal kube-apiserver tier SKIPPED (${tier.length} files in test/real-apiserver): ${why}. Build it with scripts/real-apiserver/build.sh (or run .ci/run).\n`,
    );
  }
}
