// The networks a container can be on until berth has bridged ones: docker's predefined host
// (the host's own stack) and none (a stack of its own with only loopback), as `network ls` and
// `network inspect` show them. Their IDs are derived from their names (docker's are random per
// daemon): stable across commands, the same in a container's NetworkSettings.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { notFound } from '../internal/errors.js';
import type { ContainerRecord } from './container.js';
import { isLive, networkOf } from './container.js';

export interface Network {
  name: 'host' | 'none';
  /** docker's driver names: host, and null for none. */
  driver: 'host' | 'null';
  id: string;
}

export const NETWORKS: readonly Network[] = (['host', 'none'] as const).map((name) => ({
  name,
  driver: name === 'host' ? 'host' : 'null',
  id: createHash('sha256').update(`berth network ${name}`).digest('hex'),
}));

/** A network by name, full ID or a unique ID prefix; docker's "network X not found" else. */
export function findNetwork(query: string): Network {
  const hit = NETWORKS.find((n) => n.name === query || n.id === query) ?? NETWORKS.filter((n) => query.length > 0 && n.id.startsWith(query)).at(0);
  if (!hit) throw notFound(`network ${query} not found`);
  return hit;
}

/** The ID of the network a container is on (none or host), for its NetworkSettings; '' for none. */
export function networkIdOf(rec: ContainerRecord): string {
  const name = networkOf(rec.spec);
  return NETWORKS.find((n) => n.name === name)?.id ?? '';
}

/**
 * When the predefined networks were made: docker's are made by its daemon; berth's are the
 * graph root's, whose birth time stands in (its change time where the file system has none).
 */
export function networksCreated(root: string): string {
  try {
    const st = statSync(root);
    return (st.birthtimeMs > 0 ? st.birthtime : st.ctime).toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}

/** docker's network inspect document of `net`, with the running containers on it. */
export function networkDoc(net: Network, created: string, containers: ContainerRecord[]): Record<string, unknown> {
  const on = containers.filter((c) => isLive(c.state.status) && networkOf(c.spec) === net.name);
  return {
    Name: net.name,
    Id: net.id,
    Created: created,
    Scope: 'local',
    Driver: net.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    // No endpoint of its own: the addresses are empty, as docker's are on these two.
    Containers: Object.fromEntries(on.map((c) => [c.id, { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' }])),
    Options: {},
    Labels: {},
  };
}
