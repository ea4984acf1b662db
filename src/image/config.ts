// Parsing and validation of the image configuration (image-spec config.md, with Docker's
// extra fields): the runtime settings and the rootfs diff_ids that tie layers to the image.
import {
  expectArray,
  expectObject,
  expectObjectSet,
  expectString,
  expectStringMap,
  FieldPath,
  type JsonObject,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringArray,
  parseJsonObject,
} from './fields.js';
import { expectDigest } from './descriptor.js';
import type { ImageConfig } from './types.js';

/** Parses and validates an image config; throws 'invalid-argument' naming the field, 'resource-exhausted' over 4 MiB. */
/**
 * docker's container.Config with every field it prints at its zero value ("" / false / null):
 * the Config and ContainerConfig docker shows for an image that set nothing, and a legacy
 * layer's container_config.
 */
export const EMPTY_CONTAINER_CONFIG: Readonly<Record<string, string | boolean | null>> = Object.freeze({
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
});

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const obj = parseJsonObject(bytes, 'image config');
  validateImageConfig(obj, new FieldPath('image config', ''));
  return obj as unknown as ImageConfig;
}

export function validateImageConfig(obj: JsonObject, at: FieldPath): void {
  for (const key of ['architecture', 'os'] as const) {
    if (obj[key] === undefined) throw at.child(key).error('required');
    expectString(obj[key], at.child(key));
  }
  for (const key of ['created', 'author', 'os.version', 'variant', 'container', 'docker_version', 'id', 'parent', 'comment']) {
    optionalString(obj, key, at);
  }
  if (typeof obj.created === 'string' && Number.isNaN(Date.parse(obj.created))) {
    throw at.child('created').error(`"${obj.created.slice(0, 100)}" is not an RFC 3339 date-time`);
  }
  optionalStringArray(obj, 'os.features', at);

  if (obj.rootfs === undefined) throw at.child('rootfs').error('required');
  const rootfs = expectObject(obj.rootfs, at.child('rootfs'));
  if (rootfs.type !== 'layers') throw at.child('rootfs').child('type').error(`must be "layers", got ${JSON.stringify(rootfs.type)}`);
  if (rootfs.diff_ids === undefined) throw at.child('rootfs').child('diff_ids').error('required');
  const diffIDs = expectArray(rootfs.diff_ids, at.child('rootfs').child('diff_ids'));
  for (let i = 0; i < diffIDs.length; i++) expectDigest(diffIDs[i], at.child('rootfs').child('diff_ids').child(i));

  if (obj.history !== undefined) {
    const history = expectArray(obj.history, at.child('history'));
    history.forEach((h, i) => {
      const hat = at.child('history').child(i);
      const entry = expectObject(h, hat);
      for (const key of ['created', 'created_by', 'author', 'comment']) optionalString(entry, key, hat);
      optionalBoolean(entry, 'empty_layer', hat);
    });
  }
  if (obj.config !== undefined && obj.config !== null) validateContainerConfig(obj.config, at.child('config'));
  if (obj.container_config !== undefined && obj.container_config !== null) {
    validateContainerConfig(obj.container_config, at.child('container_config'));
  }
}

function validateContainerConfig(value: unknown, at: FieldPath): void {
  const c = expectObject(value, at);
  for (const key of ['User', 'WorkingDir', 'StopSignal', 'Hostname', 'Domainname', 'Image', 'MacAddress']) {
    optionalString(c, key, at);
  }
  for (const key of ['ArgsEscaped', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'NetworkDisabled']) {
    optionalBoolean(c, key, at);
  }
  optionalInteger(c, 'StopTimeout', at);
  // Docker writes null for absent lists; OCI tooling omits them. Both are accepted.
  for (const key of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) optionalStringArray(c, key, at, true);
  if (c.ExposedPorts !== undefined && c.ExposedPorts !== null) expectObjectSet(c.ExposedPorts, at.child('ExposedPorts'));
  if (c.Volumes !== undefined && c.Volumes !== null) expectObjectSet(c.Volumes, at.child('Volumes'));
  if (c.Labels !== undefined && c.Labels !== null) expectStringMap(c.Labels, at.child('Labels'));
  if (c.Healthcheck !== undefined && c.Healthcheck !== null) {
    const hat = at.child('Healthcheck');
    const h = expectObject(c.Healthcheck, hat);
    optionalStringArray(h, 'Test', hat, true);
    for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) optionalInteger(h, key, hat);
  }
}
