/**
 * Server-side printing, as kubectl asks for it (`Accept: ...;as=Table;g=meta.k8s.io`): the
 * columns of `kubectl get pods` and `kubectl get nodes -o wide`, computed from the objects.
 */
type Json = Record<string, unknown>;

interface Column {
  name: string;
  type: string;
  priority?: number;
  cell: (object: Json) => unknown;
}

const meta = (object: Json) => (object.metadata ?? {}) as Json;
const status = (object: Json) => (object.status ?? {}) as Json;
const age = (object: Json) => {
  const created = Date.parse(String(meta(object).creationTimestamp ?? ''));
  if (Number.isNaN(created)) return '<unknown>';
  const days = Math.floor((Date.now() - created) / 86_400_000);
  return days > 0 ? `${days}d` : `${Math.floor((Date.now() - created) / 3_600_000)}h`;
};

const POD_COLUMNS: Column[] = [
  { name: 'Name', type: 'string', cell: (o) => meta(o).name },
  {
    name: 'Ready',
    type: 'string',
    cell: (o) => {
      const containers = ((o.spec as Json | undefined)?.containers as unknown[] | undefined)?.length ?? 0;
      const ready = ((status(o).containerStatuses as Json[] | undefined) ?? []).filter((c) => c.ready).length;
      return `${ready}/${containers}`;
    },
  },
  { name: 'Status', type: 'string', cell: (o) => status(o).phase ?? 'Pending' },
  {
    name: 'Restarts',
    type: 'integer',
    cell: (o) =>
      ((status(o).containerStatuses as Json[] | undefined) ?? []).reduce(
        (n, c) => n + Number(c.restartCount ?? 0),
        0,
      ),
  },
  { name: 'Age', type: 'string', cell: age },
  { name: 'IP', type: 'string', priority: 1, cell: (o) => status(o).podIP ?? '<none>' },
  {
    name: 'Node',
    type: 'string',
    priority: 1,
    cell: (o) => (o.spec as Json | undefined)?.nodeName ?? '<none>',
  },
];

const nodeInfo = (o: Json) => (status(o).nodeInfo ?? {}) as Json;
const NODE_COLUMNS: Column[] = [
  { name: 'Name', type: 'string', cell: (o) => meta(o).name },
  {
    name: 'Status',
    type: 'string',
    cell: (o) => {
      const ready = ((status(o).conditions as Json[] | undefined) ?? []).find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? 'Ready' : 'NotReady';
    },
  },
  {
    name: 'Roles',
    type: 'string',
    cell: (o) =>
      Object.keys((meta(o).labels as Json | undefined) ?? {})
        .filter((label) => label.startsWith('node-role.kubernetes.io/'))
        .map((label) => label.slice('node-role.kubernetes.io/'.length))
        .join(',') || '<none>',
  },
  { name: 'Age', type: 'string', cell: age },
  { name: 'Version', type: 'string', cell: (o) => nodeInfo(o).kubeletVersion },
  {
    name: 'Internal-IP',
    type: 'string',
    priority: 1,
    cell: (o) =>
      ((status(o).addresses as Json[] | undefined) ?? []).find((a) => a.type === 'InternalIP')?.address ??
      '<none>',
  },
  { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => nodeInfo(o).osImage ?? '<unknown>' },
  {
    name: 'Container-Runtime',
    type: 'string',
    priority: 1,
    cell: (o) => nodeInfo(o).containerRuntimeVersion,
  },
];

const DEFAULT_COLUMNS: Column[] = [
  { name: 'Name', type: 'string', cell: (o) => meta(o).name },
  { name: 'Age', type: 'string', cell: age },
];

export function tableFor(kind: string, objects: Json[], listMetadata: Json): Json {
  const columns = kind === 'Pod' ? POD_COLUMNS : kind === 'Node' ? NODE_COLUMNS : DEFAULT_COLUMNS;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMetadata,
    columnDefinitions: columns.map((column) => ({
      name: column.name,
      type: column.type,
      format: column.name === 'Name' ? 'name' : '',
      description: column.name,
      priority: column.priority ?? 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object) ?? ''),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(object) },
    })),
  };
}
