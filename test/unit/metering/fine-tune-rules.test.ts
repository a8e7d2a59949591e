import { packTensors, unpackTensors } from '../../../api/fine-tuning/fine-tune-training';
import { canTransition, isFinished } from '../../../api/fine-tuning/fine-tune-state';
import { chooseHyperparameters, hyperparameterProblem } from '../../../api/fine-tuning/hyperparameter-rules';
import { dropDuplicates, labelCounts, stratifiedSplit } from '../../../api/fine-tuning/dataset-split';
import { FineTuneStatus as S } from '../../../schema/fine-tuning/fine-tuning.enums';

describe('fine-tune job state machine', () => {
  it.each([
    [S.VALIDATING, S.QUEUED, true], [S.QUEUED, S.RUNNING, true], [S.RUNNING, S.RUNNING, true], [S.RUNNING, S.SUCCEEDED, true],
    [S.QUEUED, S.CANCELLED, true], [S.RUNNING, S.CANCELLED, true], [S.VALIDATING, S.RUNNING, false], [S.QUEUED, S.SUCCEEDED, false],
    [S.SUCCEEDED, S.RUNNING, false], [S.CANCELLED, S.QUEUED, false], [S.FAILED, S.CANCELLED, false],
  ])('%s -> %s: %s', (from, to, allowed) => expect(canTransition(from, to)).toBe(allowed));

  it('knows the finished statuses', () => {
    expect(Object.values(S).filter(isFinished).sort()).toEqual([S.CANCELLED, S.FAILED, S.SUCCEEDED]);
  });
});

describe('hyperparameters', () => {
  it.each([
    [{ epochs: 0 }, 'epochs'], [{ epochs: 2.5 }, 'epochs'], [{ learningRate: 0 }, 'learningRate'], [{ learningRate: 1.5 }, 'learningRate'],
    [{ batchSize: 2000 }, 'batchSize'], [{ seed: -3 }, 'seed'],
  ])('refuses %j, naming %s', (input, field) => expect(hyperparameterProblem(input)?.field).toBe(field));

  it('accepts values in range and chooses the absent ones by rule', () => {
    expect(hyperparameterProblem({ epochs: 100, learningRate: 1, batchSize: 1, seed: 0 })).toBeNull();
    expect(chooseHyperparameters(undefined, 100)).toEqual({ epochs: 30, batchSize: 8, learningRate: 0.05, seed: 42 });
    expect(chooseHyperparameters({ epochs: 3 }, 1000)).toEqual({ epochs: 3, batchSize: 16, learningRate: 0.05, seed: 42 });
    expect(chooseHyperparameters(null, 60_000)).toEqual({ epochs: 5, batchSize: 32, learningRate: 0.05, seed: 42 });
  });
});

describe('dataset split', () => {
  const rows = [...Array(50)].map((_, i) => ({ text: `text ${i}`, label: i < 40 ? 'a' : i < 49 ? 'b' : 'c' }));

  it('holds out about a tenth of every label (one at least of a label with two rows or more), the same for a seed', () => {
    const split = stratifiedSplit(rows, 0.1, 7);
    expect(labelCounts(split).map((l) => [l.label, l.trainCount, l.validationCount])).toEqual([['a', 36, 4], ['b', 8, 1], ['c', 1, 0]]);
    expect(stratifiedSplit(rows, 0.1, 7)).toEqual(split);
    expect(stratifiedSplit(rows, 0.1, 8)).not.toEqual(split);
  });

  it('drops repeated texts, ignoring case', () => {
    expect(dropDuplicates([{ text: 'Hi', label: 'a' }, { text: 'hi', label: 'b' }, { text: 'yo', label: 'a' }])).toEqual({ rows: [{ text: 'Hi', label: 'a' }, { text: 'yo', label: 'a' }], duplicates: 1 });
  });
});

describe('checkpoint bytes', () => {
  it('pack float32 and int64 tensors and read them back; entries without a type (older checkpoints) are float32', () => {
    const state = {
      embedding_row_ids: { type: 'int64' as const, dims: [3], data: BigInt64Array.from([2n, 7n, 32767n]) },
      embedding_row_values: { type: 'float32' as const, dims: [3, 2], data: Float32Array.from([0.5, -1, 2, 3.25, -0, 1e-7]) },
      bias: { type: 'float32' as const, dims: [2], data: Float32Array.from([0.1, 0.2]) },
    };
    const back = unpackTensors(new Uint8Array(packTensors(state)));
    expect(back).toEqual(state);
    // an older checkpoint: header entries without a type
    const header = Buffer.from(JSON.stringify([{ name: 'weight', dims: [2], length: 2 }]));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(header.length);
    const old = Buffer.concat([size, header, Buffer.from(Float32Array.from([1.5, -2]).buffer)]);
    expect(unpackTensors(old)).toEqual({ weight: { type: 'float32', dims: [2], data: Float32Array.from([1.5, -2]) } });
  });
});
