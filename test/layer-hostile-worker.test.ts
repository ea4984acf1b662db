// The hostile-layer cases of layer-hostile.test.ts, applied on the layer threads (the store's
// default applier): the same refusals, kinds and messages must come back across the thread.
process.env.BERTH_TEST_APPLY_IN_WORKER = '1';
await import('./layer-hostile.test.js');
