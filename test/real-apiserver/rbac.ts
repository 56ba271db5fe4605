import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/paths.ts';
import type { PolicyRule } from '../simulator/api-server.ts';
import type { AdminClient } from './admin-client.ts';
import { READER_GROUP, READER_USER } from './server.ts';

type Json = Record<string, unknown>;

/** deploy/rbac.yaml's documents: the reader ClusterRole and its binding to the readers' group. */
export function readerRbac(): { role: Json; binding: Json; rules: PolicyRule[] } {
  const documents = parseAllDocuments(readFileSync(`${REPO_ROOT}deploy/rbac.yaml`, 'utf8')).map(
    (document) => document.toJS() as Json,
  );
  const role = documents.find((document) => document.kind === 'ClusterRole');
  const binding = documents.find((document) => document.kind === 'ClusterRoleBinding');
  if (!role || !binding) throw new Error('deploy/rbac.yaml lacks its ClusterRole or ClusterRoleBinding');
  return { role, binding, rules: role.rules as PolicyRule[] };
}

/**
 * Gives the reader's ClusterRole these rules (deploy/rbac.yaml's, or fewer), creating the role
 * and binding on first use, and waits until the server's authorizer enforces exactly them:
 * RBAC reads roles through an informer, so a change takes a moment to apply.
 */
export async function setReaderRules(admin: AdminClient, rules: readonly PolicyRule[]): Promise<void> {
  const { role, binding, rules: allRules } = readerRbac();
  const name = String((role.metadata as Json).name);
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`;
  const current = await admin.request('GET', path);
  if (current.status === 404) {
    await admin.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { ...role, rules });
    await admin.json('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding);
  } else {
    const existing = JSON.parse(current.body) as Json;
    await admin.json('PUT', path, { ...existing, rules });
  }
  // Every permission deploy/rbac.yaml grants is allowed exactly when one of `rules` grants it.
  const deadline = Date.now() + 30_000;
  const given = new Set(rules.map((rule) => JSON.stringify(rule)));
  for (const rule of allRules) {
    const expected = given.has(JSON.stringify(rule));
    for (const check of accessChecks(rule)) {
      for (;;) {
        if ((await allowed(admin, check)) === expected) break;
        if (Date.now() > deadline)
          throw new Error(`RBAC did not apply within 30s: ${JSON.stringify(check)} should be ${expected}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

interface AccessCheck {
  group: string;
  resource: string;
  name?: string;
}

function accessChecks(rule: PolicyRule): AccessCheck[] {
  return (rule.apiGroups ?? []).flatMap((group) =>
    (rule.resources ?? []).flatMap((resource) =>
      rule.resourceNames
        ? rule.resourceNames.map((name) => ({ group, resource, name }))
        : [{ group, resource }],
    ),
  );
}

async function allowed(admin: AdminClient, check: AccessCheck): Promise<boolean> {
  const review = (await admin.json('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: READER_USER,
      groups: [READER_GROUP, 'system:authenticated'],
      resourceAttributes: { verb: 'list', ...check },
    },
  })) as { status?: { allowed?: boolean } };
  return review.status?.allowed === true;
}
