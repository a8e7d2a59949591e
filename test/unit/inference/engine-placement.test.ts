import { DevicePlacement } from '../../../inference/engine/device.placement';

const MB = 1024 * 1024;
const idle = () => false;
const noLoad = () => 0;
const size = (bytes: number) => () => bytes;

describe('DevicePlacement', () => {
  it('places on the least-loaded device, then the one with most free memory', () => {
    const placement = new DevicePlacement([
      { id: 'cuda:0', budgetBytes: 100 * MB },
      { id: 'cuda:1', budgetBytes: 100 * MB },
    ]);
    const pending = (d: string) => (d === 'cuda:0' ? 5 : 0);
    expect(placement.place('a', size(10 * MB), undefined, pending, idle).deviceId).toBe('cuda:1');
    expect(placement.place('b', size(10 * MB), undefined, noLoad, idle).deviceId).toBe('cuda:0');
    expect(placement.place('c', size(30 * MB), undefined, noLoad, idle).deviceId).toBe('cuda:0');
    expect(placement.place('d', size(10 * MB), undefined, noLoad, idle).deviceId).toBe('cuda:1');
  });

  it('honours a pinned device and rejects an unknown one', () => {
    const placement = new DevicePlacement([{ id: 'cpu', budgetBytes: MB }, { id: 'cuda:0', budgetBytes: MB }]);
    expect(placement.place('a', size(10), 'cuda:0', noLoad, idle).deviceId).toBe('cuda:0');
    expect(() => placement.place('b', size(10), 'cuda:7', noLoad, idle)).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/pinned to cuda:7/) }),
    );
  });

  it('evicts least-recently-used idle models until the new one fits', () => {
    const placement = new DevicePlacement([{ id: 'cpu', budgetBytes: 30 * MB }]);
    placement.place('a', size(10 * MB), undefined, noLoad, idle);
    placement.place('b', size(10 * MB), undefined, noLoad, idle);
    placement.place('c', size(10 * MB), undefined, noLoad, idle);
    placement.touch('a');
    expect(placement.place('d', size(10 * MB), undefined, noLoad, idle).evict).toEqual(['b']);
    expect(placement.place('e', size(20 * MB), undefined, noLoad, idle).evict).toEqual(['c', 'a']);
    expect(placement.usedBytes('cpu')).toBe(30 * MB);
  });

  it('never evicts a busy model, and refuses a model larger than the budget', () => {
    const placement = new DevicePlacement([{ id: 'cpu', budgetBytes: 20 * MB }]);
    placement.place('busy', size(10 * MB), undefined, noLoad, idle);
    placement.place('quiet', size(10 * MB), undefined, noLoad, idle);
    const decision = placement.place('new', size(10 * MB), undefined, noLoad, (id) => id === 'busy');
    expect(decision.evict).toEqual(['quiet']);
    expect(() => placement.place('huge', size(21 * MB), undefined, noLoad, idle)).toThrow(/needs about 21.0 MiB/);
  });
});
