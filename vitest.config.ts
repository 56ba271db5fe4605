import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The last line says when the real kube-apiserver tier was skipped, and why.
    reporters: ['default', './test/real-apiserver/skip-reporter.ts'],
    // Tests never read the developer's kubeconfig or AWS profile.
    env: {
      KUBECONFIG: '/nonexistent/kubeconfig',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      NO_COLOR: '1',
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
