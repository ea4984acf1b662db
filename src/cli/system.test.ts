import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageRow } from '../engine/index.js';
import { formatRows } from './format.js';
import { DF_FORMAT, systemPrunePrompt } from './system.js';

const rows: UsageRow[] = [
  { type: 'Images', total: 2, active: 1, size: 1_200_000, reclaimable: 800_000 },
  { type: 'Containers', total: 3, active: 1, size: 12_000, reclaimable: 4_000 },
  { type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 },
  { type: 'Build Cache', total: 4, active: 0, size: 3_000_000, reclaimable: 3_000_000 },
];

test('system df prints docker default table', () => {
  assert.equal(
    formatRows(rows, DF_FORMAT, undefined),
    [
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE',
      'Images          2         1         1.2MB     800kB (66%)',
      'Containers      3         1         12kB      4kB (33%)',
      'Local Volumes   0         0         0B        0B',
      'Build Cache     4         0         3MB       3MB',
      '',
    ].join('\n'),
  );
});

test('system df --format: docker fields, json, table templates', () => {
  assert.equal(formatRows(rows.slice(0, 1), DF_FORMAT, '{{.Type}}:{{.TotalCount}}:{{.Active}}:{{.Size}}:{{.Reclaimable}}'), 'Images:2:1:1.2MB:800kB (66%)\n');
  assert.equal(formatRows(rows.slice(2, 3), DF_FORMAT, 'json'), '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Local Volumes"}\n');
  assert.equal(formatRows(rows.slice(3), DF_FORMAT, 'table {{.Type}}\t{{.Size}}'), 'TYPE          SIZE\nBuild Cache   3MB\n');
});

test('system prune asks as docker does', () => {
  assert.match(systemPrunePrompt(false), /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all dangling images\n {2}- unused build cache\n\nAre you sure you want to continue\? \[y\/N\] $/);
  assert.match(systemPrunePrompt(true), /- all images without at least one container associated to them\n/);
  assert.match(systemPrunePrompt(false, true), /- all stopped containers\n {2}- all anonymous volumes not used by at least one container\n {2}- all dangling images\n/);
});
