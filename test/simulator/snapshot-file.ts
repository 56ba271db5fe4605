/**
 * Writes a generated cluster (the one the live benchmark serves) as the snapshot a user would
 * save with `kubectl get pods,nodes,deployments,replicasets,daemonsets -A -o yaml` (or
 * `-o json`): one `kind: List` document, items with kind and apiVersion, managedFields left out
 * as kubectl does by default. Written as a stream, so writing it takes no more memory than
 * reading it should.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SERVED_KINDS } from './cluster-data.ts';
import { generatedCluster } from './generated-cluster.ts';

type Json = Record<string, unknown>;

export interface SnapshotFile {
  bytes: number;
  pods: number;
  objects: number;
}

export async function writeSnapshot(
  path: string,
  pods: number,
  format: 'yaml' | 'json',
): Promise<SnapshotFile> {
  const { data } = generatedCluster({ pods });
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let objects = 0;
  await write(
    format === 'yaml' ? 'apiVersion: v1\nitems:\n' : '{\n    "apiVersion": "v1",\n    "items": [\n',
  );
  for (const [kind, served] of Object.entries(SERVED_KINDS)) {
    const list = data.resources.get(served.resource);
    if (!list) continue;
    for (let index = 0; index < list.count; index++) {
      const item = JSON.parse(list.json(index)) as Json;
      delete (item.metadata as Json | undefined)?.managedFields;
      const object = {
        apiVersion: served.group === '' ? 'v1' : `${served.group}/v1`,
        kind,
        ...item,
      };
      if (format === 'yaml') await write(yamlItem(object));
      else await write(`${objects > 0 ? ',\n' : ''}${indented(JSON.stringify(object, null, 4), '        ')}`);
      objects++;
    }
  }
  await write(
    format === 'yaml'
      ? 'kind: List\nmetadata:\n  resourceVersion: ""\n'
      : '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
  );
  out.end();
  await once(out, 'finish');
  return { bytes: (await stat(path)).size, pods, objects };
}

function indented(text: string, pad: string): string {
  return pad + text.replaceAll('\n', `\n${pad}`);
}

/** One List item the way kubectl prints it: `- ` at column 0, sequences not indented under their key. */
function yamlItem(object: Json): string {
  const lines: string[] = [];
  mapping(object, '  ', lines);
  lines[0] = `- ${lines[0]?.slice(2)}`;
  return `${lines.join('\n')}\n`;
}

function mapping(object: Json, pad: string, lines: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    const name = scalar(key);
    if (isNonEmptyObject(value)) {
      lines.push(`${pad}${name}:`);
      mapping(value, `${pad}  `, lines);
    } else if (Array.isArray(value) && value.length > 0) {
      lines.push(`${pad}${name}:`);
      sequence(value, pad, lines);
    } else lines.push(`${pad}${name}: ${scalar(value)}`);
  }
}

function sequence(values: unknown[], pad: string, lines: string[]): void {
  for (const value of values) {
    if (isNonEmptyObject(value)) {
      const start = lines.length;
      mapping(value, `${pad}  `, lines);
      lines[start] = `${pad}- ${lines[start]?.slice(pad.length + 2)}`;
    } else lines.push(`${pad}- ${scalar(value)}`);
  }
}

function isNonEmptyObject(value: unknown): value is Json {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
  );
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/** A plain scalar when YAML would read it back as the same string, JSON's quoting otherwise. */
function scalar(value: unknown): string {
  if (typeof value === 'string')
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';
  return JSON.stringify(value) ?? 'null';
}
