import { expect, test } from 'vitest';
import { LayerBuilder, mergeLayers } from './layers.js';

function layer(entries: [string[], unknown][], label: string) {
  const builder = new LayerBuilder();
  for (const [path, value] of entries) builder.set(path, value, label);
  return builder.build();
}

test('a later layer wins field by field and each value keeps its source', () => {
  const merged = mergeLayers([
    layer([[['timing', 'tickMs'], 10], [['timing', 'electionTicks'], 20]], 'low'),
    layer([[['timing', 'tickMs'], 30], [['tls', 'client', 'certFile'], 'a.crt']], 'high'),
  ]);
  expect(merged.data).toEqual({ timing: { tickMs: 30, electionTicks: 20 }, tls: { client: { certFile: 'a.crt' } } });
  expect(merged.sourceOf(['timing', 'tickMs'])).toBe('high');
  expect(merged.sourceOf(['timing', 'electionTicks'])).toBe('low');
  // Setting one TLS field does not make its neighbours look set.
  expect(merged.sourceOf(['tls', 'client', 'keyFile'])).toBeUndefined();
  expect(merged.sourceOf(['log', 'level'])).toBeUndefined();
});

test('a value inside a list is traced to the layer that gave the list', () => {
  const merged = mergeLayers([layer([[['members'], [{ id: 1 }]]], 'flag')]);
  expect(merged.sourceOf(['members', 0, 'id'])).toBe('flag');
});

test('setting one field of an alternative group hides the others from lower layers', () => {
  const group = [
    ['timing', 'heartbeatTicks'],
    ['timing', 'heartbeatMs'],
  ];
  const merged = mergeLayers(
    [layer([[['timing', 'heartbeatTicks'], 3]], 'file'), layer([[['timing', 'heartbeatMs'], 500]], 'env')],
    [group],
  );
  expect(merged.data).toEqual({ timing: { heartbeatMs: 500 } });
  expect(merged.sourceOf(['timing', 'heartbeatTicks'])).toBeUndefined();
});

test('layers are not changed by merging', () => {
  const low = layer([[['listen', 'client'], ['a:1']]], 'low');
  const merged = mergeLayers([low]);
  (merged.data.listen as { client: string[] }).client.push('b:2');
  expect(low.data).toEqual({ listen: { client: ['a:1'] } });
});
