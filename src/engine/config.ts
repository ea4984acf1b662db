// The engine's settings from berth's own config file (/etc/berth/berth.toml, or $BERTH_CONFIG):
// [engine] runtimes = ["crun", "runc"] (tried in order) and storage_driver; $BERTH_RUNTIMES wins.
import { existsSync, readFileSync } from 'node:fs';
import { invalidArgument } from '../internal/errors.js';

export interface EngineConfig {
  runtimes?: string[];
  storageDriver?: string;
}

export const DEFAULT_CONFIG_FILE = '/etc/berth/berth.toml';

/** Reads the [engine] table; a missing file is no settings, a malformed one an error. */
export async function loadEngineConfig(file = process.env.BERTH_CONFIG ?? DEFAULT_CONFIG_FILE): Promise<EngineConfig> {
  const out: EngineConfig = {};
  if (existsSync(file)) {
    const { parse } = await import('smol-toml');
    let table: Record<string, unknown>;
    try {
      table = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw invalidArgument(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const engine = (table.engine ?? {}) as Record<string, unknown>;
    if (engine.runtimes !== undefined) {
      if (!Array.isArray(engine.runtimes) || !engine.runtimes.every((r) => typeof r === 'string' && r !== '')) {
        throw invalidArgument(`invalid ${file}: engine.runtimes must be a list of runtime names or paths`);
      }
      out.runtimes = [...engine.runtimes] as string[];
    }
    if (typeof engine.storage_driver === 'string') out.storageDriver = engine.storage_driver;
  }
  const env = process.env.BERTH_RUNTIMES;
  if (env) out.runtimes = env.split(',').map((s) => s.trim()).filter(Boolean);
  return out;
}
