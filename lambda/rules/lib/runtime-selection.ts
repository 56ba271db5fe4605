import BUNDLED_SELECTORS from '../agents/runtime-selectors.json' with { type: 'json' };
import { perObject } from './memoise.ts';
import type { ContainerView, WorkloadView } from './workload-view.ts';

/**
 * Settings by which agents and tools choose Docker Engine by name rather than by finding a
 * socket: a flag (`--runtime docker`), an environment variable or ConfigMap key
 * (`CONTAINER_RUNTIME: docker`). Vendor knowledge, so it is data (runtime-selectors.json), each
 * entry with the products known to use it and where that is documented.
 */
export interface RuntimeSelector {
  setting: string;
  /** `flag`: a command-line flag; `key`: an environment variable, or a ConfigMap key (envFrom). */
  kind: 'flag' | 'key';
  /** Values that select Docker Engine, lower-case. */
  values: string[];
  products: string[];
  references: string[];
}

export const RUNTIME_SELECTORS: readonly RuntimeSelector[] = BUNDLED_SELECTORS as RuntimeSelector[];

const FLAGS = new Map(
  RUNTIME_SELECTORS.filter((selector) => selector.kind === 'flag').map((selector) => [
    selector.setting.replace(/^-+/, ''),
    selector,
  ]),
);
const KEYS = new Map(
  RUNTIME_SELECTORS.filter((selector) => selector.kind === 'key').map((selector) => [
    selector.setting,
    selector,
  ]),
);

/** One setting that selects Docker, as written: `--runtime docker`, `CONTAINER_RUNTIME=docker`. */
export interface DockerSelection {
  container: ContainerView;
  selector: RuntimeSelector;
  origin: { env: string } | { arg: string };
}

function selectsDocker(selector: RuntimeSelector, raw: string): boolean {
  const value = raw
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2')
    .toLowerCase();
  return selector.values.includes(value);
}

/**
 * Flags as Go's flag package and most CLIs read them: `-name`, `--name`, `=value` or the next
 * argument, and a bare boolean flag meaning true. Arguments are also split at spaces, so that
 * a shell line (`sh -c "chaos-daemon --runtime docker"`) is read too.
 */
function flagSelections(container: ContainerView): DockerSelection[] {
  const tokens = container.argv.flatMap((arg) => arg.split(/\s+/)).filter((token) => token !== '');
  const found: DockerSelection[] = [];
  tokens.forEach((token, index) => {
    const flag = /^--?([\w.-]+)(?:=(.*))?$/.exec(token);
    const selector = flag?.[1] === undefined ? undefined : FLAGS.get(flag[1]);
    if (!flag || !selector) return;
    const next = tokens[index + 1];
    const inline = flag[2];
    // A boolean flag never takes the next argument as its value (Go: `-flag=false`, not `-flag false`).
    const boolean = selector.values.includes('true');
    const value = inline ?? (!boolean && next !== undefined && !next.startsWith('-') ? next : 'true');
    if (!selectsDocker(selector, value)) return;
    const written = inline !== undefined || value === 'true' ? token : `${token} ${value}`;
    found.push({ container, selector, origin: { arg: written } });
  });
  return found;
}

function envSelections(container: ContainerView): DockerSelection[] {
  const found: DockerSelection[] = [];
  for (const variable of container.env) {
    const selector = KEYS.get(variable.name);
    if (selector && variable.value !== undefined && selectsDocker(selector, variable.value))
      found.push({ container, selector, origin: { env: `${variable.name}=${variable.value.trim()}` } });
  }
  return found;
}

/** Every setting of the pod that selects Docker Engine by name, worked out once per pod spec. */
export const dockerSelectionsOf = perObject((view: WorkloadView): DockerSelection[] =>
  view.containers.flatMap((container) => [...envSelections(container), ...flagSelections(container)]),
);

/** Flat ConfigMap entries (`container-runtime: docker`, or env files read through envFrom). */
export function configKeySelections(
  entries: ReadonlyArray<[key: string, value: string]>,
): Array<{ key: string; value: string; selector: RuntimeSelector }> {
  const found: Array<{ key: string; value: string; selector: RuntimeSelector }> = [];
  for (const [key, value] of entries) {
    const selector = KEYS.get(key);
    if (selector && selectsDocker(selector, value)) found.push({ key, value: value.trim(), selector });
  }
  return found;
}

export function describeSelection(selection: DockerSelection): string {
  return 'env' in selection.origin
    ? `environment variable ${selection.origin.env}`
    : `argument ${selection.origin.arg}`;
}
