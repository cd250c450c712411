// The manifest's schema, version 1: the single source of truth for the validator and for
// manifest.schema.json (`corral schema`).
import type { Node } from 'yaml';
import type { CheckContext } from './context.js';
import { processNameRule } from './common.js';
import {
  INVALID,
  MapSchema,
  ObjectSchema,
  opt,
  req,
  Schema,
  scalarValue,
  typeError,
  type Checked,
  type Infer,
  type JsonSchema,
} from './dsl.js';
import { logSchema } from './log.js';
import { processSchema } from './process.js';
import { serviceSchema } from './service.js';

export const MANIFEST_VERSION = 1;

class VersionSchema extends Schema<1> {
  expected(): string {
    return String(MANIFEST_VERSION);
  }
  json(): JsonSchema {
    return this.withDescription({ const: MANIFEST_VERSION });
  }
  check(node: Node | null, path: string, ctx: CheckContext): Checked<1> {
    const value = scalarValue(node, path, ctx);
    if (value === INVALID) return INVALID;
    if (value === MANIFEST_VERSION) return MANIFEST_VERSION;
    if (typeof value === 'number') {
      ctx.sink.error(
        'E_VERSION',
        ctx.position(node),
        path,
        `unsupported manifest version ${value}; this corral reads version ${MANIFEST_VERSION}`,
        'upgrade corral, or write the manifest for version 1',
      );
      return INVALID;
    }
    return typeError(ctx, node, path, `the number ${MANIFEST_VERSION}`);
  }
}

export const manifestSchema = () =>
  new ObjectSchema(
    {
      version: req(new VersionSchema().describe('The manifest format version: 1.')),
      service: req(serviceSchema()),
      log: opt(logSchema()),
      defaults: opt(processSchema().describe('Keys applied to every process unless the process sets them.')),
      processes: req(
        new MapSchema(
          processSchema(),
          processNameRule,
          'a mapping of process names to processes',
          true,
        ).describe('The supervised processes, by name.'),
      ),
    },
    { name: 'a manifest: a mapping with version, service and processes', partial: true },
  );

export type ManifestInput = Infer<ReturnType<typeof manifestSchema>>;

/**
 * manifest.schema.json: draft-07, generated from the schema above. The process shape is emitted
 * once, under definitions, and referenced by `defaults` and `processes`.
 */
export function manifestJsonSchema(): JsonSchema {
  const root = manifestSchema().json() as { properties: Record<string, Record<string, unknown>> };
  const { defaults, processes } = root.properties;
  const processJson = processSchema().json();
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'corral manifest',
    ...root,
    properties: {
      ...root.properties,
      defaults: { description: defaults?.['description'], $ref: '#/definitions/process' },
      processes: { ...processes, additionalProperties: { $ref: '#/definitions/process' } },
    },
    definitions: { process: processJson },
  };
}
