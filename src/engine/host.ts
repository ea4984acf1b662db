// The container host: the graph root and run root with the store, graph driver and runtimes
// behind them, each opened on first use so a verb pays only for what it touches.
import * as path from 'node:path';
import type { GraphDriver } from '../graphdriver/index.js';
import { OciRuntime } from '../runtime/oci-runtime.js';
import type { Store } from '../store/index.js';
import type { EngineConfig } from './config.js';
import type { ContainerRecord } from './container.js';
import { Catalog } from './catalog.js';
import { ContainerRecords } from './records.js';
import { VolumeStore } from './volumes.js';

export interface ContainerHostOptions {
  root: string;
  runroot: string;
  /** Storage driver name ("overlay", "vfs", "auto"). */
  driver?: string;
  /** Runtime names tried in order when none is named (default crun, runc). */
  runtimes?: string[];
  /**
   * Program and args that conmon runs after a container exits (with the container ID
   * appended): the CLI passes `berth --root R --runroot R container cleanup`.
   */
  cleanupCommand?: string[];
  /**
   * What a container's health timer runs each interval (with the container ID appended): the
   * CLI passes `berth --root R --runroot R healthcheck run`.
   */
  healthcheckCommand?: string[];
  /**
   * What conmon runs when a detached `exec -it` process ended (with the container ID, the
   * session and the exec ID appended): the CLI passes `berth --root R --runroot R container
   * exec-cleanup`. Without it the session's files are removed and no exec_die is written.
   */
  execCleanupCommand?: string[];
  /** Settings from berth.toml, read on first need (runtimes, storage driver). */
  config?: () => Promise<EngineConfig>;
}

export class ContainerHost {
  readonly root: string;
  readonly runroot: string;
  readonly records: ContainerRecords;
  /** The store's image records and holds, without opening the whole store. */
  readonly catalog: Catalog;
  /** Local volumes: <root>/volumes. */
  readonly volumes: VolumeStore;
  readonly options: ContainerHostOptions;
  #store: Promise<Store> | undefined;
  #driver: Promise<GraphDriver> | undefined;
  #config: Promise<EngineConfig> | undefined;

  constructor(options: ContainerHostOptions) {
    this.options = options;
    this.root = path.resolve(options.root);
    this.runroot = path.resolve(options.runroot);
    this.records = new ContainerRecords(this.root, this.runroot);
    this.catalog = new Catalog(this.root, this.runroot);
    this.volumes = new VolumeStore(this.root, this.runroot);
  }

  store(): Promise<Store> {
    this.#store ??= import('../store/index.js').then((m) => m.openStore({ root: this.root, runroot: this.runroot }));
    return this.#store;
  }

  driver(): Promise<GraphDriver> {
    this.#driver ??= Promise.all([import('../graphdriver/index.js'), this.config()]).then(([m, config]) =>
      m.openGraphDriver({ root: this.root, runroot: this.runroot, driver: this.options.driver ?? config.storageDriver }),
    );
    return this.#driver;
  }

  config(): Promise<EngineConfig> {
    this.#config ??= this.options.config ? this.options.config() : Promise.resolve({});
    return this.#config;
  }

  /** The runtime a container was created with, state under <runroot>/<name>. */
  runtimeOf(rec: ContainerRecord): OciRuntime {
    return new OciRuntime(rec.runtime.path, { root: path.join(this.runroot, rec.runtime.name), name: rec.runtime.name });
  }

  /** Holder name of a container's holds in the store. */
  static holder(id: string): string {
    return `container-${id}`;
  }
}
