import { EngineError } from './engine.error';

/** A device as placement sees it. */
export interface PlacementDevice {
  id: string;
  budgetBytes: number;
}

interface Placed {
  deviceId: string;
  bytes: number;
  lastUsed: number;
}

/** Where a model goes and which idle models must leave to make room. */
export interface PlacementDecision {
  deviceId: string;
  evict: string[];
}

/**
 * Decides where model versions live: on first use a model goes to the least-loaded device
 * (or its pinned one), and least-recently-used idle models on that device are evicted
 * until its estimated memory fits the device's budget. Pure bookkeeping: the pool loads
 * and unloads.
 */
export class DevicePlacement {
  private readonly placed = new Map<string, Placed>();
  private clock = 0;

  constructor(private readonly devices: PlacementDevice[]) {}

  /** Estimated bytes held on a device. */
  usedBytes(deviceId: string): number {
    let sum = 0;
    for (const p of this.placed.values()) if (p.deviceId === deviceId) sum += p.bytes;
    return sum;
  }

  /**
   * Chooses a device for a model of `bytesOn(device)` bytes and reserves the memory.
   * `pending(device)` is the device's queued + running work; `isBusy(model)` protects
   * models with requests from eviction.
   */
  place(
    modelId: string,
    bytesOn: (deviceId: string) => number,
    pinnedDevice: string | undefined,
    pending: (deviceId: string) => number,
    isBusy: (modelId: string) => boolean,
  ): PlacementDecision {
    const device = pinnedDevice ? this.pinned(modelId, pinnedDevice) : this.leastLoaded(pending);
    const bytes = bytesOn(device.id);
    if (bytes > device.budgetBytes) {
      throw new EngineError(
        'MODEL_LOAD_FAILED',
        `model ${modelId} needs about ${mb(bytes)} but device ${device.id} has a budget of ${mb(device.budgetBytes)}`,
      );
    }
    const evict = this.victims(device, bytes, isBusy);
    for (const id of evict) this.placed.delete(id);
    this.placed.set(modelId, { deviceId: device.id, bytes, lastUsed: ++this.clock });
    return { deviceId: device.id, evict };
  }

  /** Marks a model as just used (LRU order). */
  touch(modelId: string): void {
    const p = this.placed.get(modelId);
    if (p) p.lastUsed = ++this.clock;
  }

  /** Forgets a model (unloaded, evicted or failed to load). */
  remove(modelId: string): void {
    this.placed.delete(modelId);
  }

  private pinned(modelId: string, pinnedDevice: string): PlacementDevice {
    const device = this.devices.find((d) => d.id === pinnedDevice);
    if (!device) {
      const served = this.devices.map((d) => d.id).join(', ');
      throw new EngineError('MODEL_LOAD_FAILED', `model ${modelId} is pinned to ${pinnedDevice}, which this pool does not serve (${served})`);
    }
    return device;
  }

  private leastLoaded(pending: (deviceId: string) => number): PlacementDevice {
    const score = (d: PlacementDevice) => [pending(d.id), this.usedBytes(d.id) / d.budgetBytes];
    return this.devices.reduce((best, d) => {
      const [a, b] = [score(d), score(best)];
      return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? d : best;
    });
  }

  private victims(device: PlacementDevice, bytes: number, isBusy: (id: string) => boolean): string[] {
    let free = device.budgetBytes - this.usedBytes(device.id);
    if (free >= bytes) return [];
    const idle = [...this.placed.entries()]
      .filter(([id, p]) => p.deviceId === device.id && !isBusy(id))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const evict: string[] = [];
    for (const [id, p] of idle) {
      if (free >= bytes) break;
      evict.push(id);
      free += p.bytes;
    }
    // NOTE: when busy models hold the rest, the model is still placed (briefly over budget)
    // rather than failing requests; the next placement on this device evicts again.
    return evict;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
