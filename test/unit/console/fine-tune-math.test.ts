import { bestAccuracy, curvesOf, EpochMetrics, formatLoss, formatShare, isActive, progressOf } from '../../../console/src/fine-tune-math';

const epoch = (n: number, validationAccuracy: number | null, trainLoss = 1 / n): EpochMetrics => ({
  epoch: n, step: n * 10, bodyTrained: false, trainLoss, trainAccuracy: 0.5, validationLoss: validationAccuracy === null ? null : 0.3, validationAccuracy, at: '2026-12-01T00:00:00.000Z',
});

describe('console fine-tune figures', () => {
  it('reads progress from trained and total steps, capped at 100%', () => {
    expect(progressOf({ trainedSteps: 15, totalSteps: 40, status: 'RUNNING' })).toEqual({ permille: 375, text: '15 of 40 steps (37%)' });
    expect(progressOf({ trainedSteps: 1200, totalSteps: 1200, status: 'SUCCEEDED' })).toEqual({ permille: 1000, text: '1,200 of 1,200 steps (100%)' });
    expect(progressOf({ trainedSteps: 0, totalSteps: 0, status: 'QUEUED' })).toEqual({ permille: 0, text: 'not started' });
  });

  it('polls only jobs that may still change', () => {
    expect(['VALIDATING', 'QUEUED', 'RUNNING'].every((s) => isActive(s as never))).toBe(true);
    expect(['SUCCEEDED', 'FAILED', 'CANCELLED'].some((s) => isActive(s as never))).toBe(false);
  });

  it('orders the curves by epoch, keeps gaps as null, and draws the baseline flat across every epoch', () => {
    const curves = curvesOf([epoch(2, 0.8), epoch(1, null), epoch(3, 0.9)], 0.25);
    expect(curves.epochs).toEqual([1, 2, 3]);
    expect(curves.validationAccuracy).toEqual([null, 0.8, 0.9]);
    expect(curves.validationLoss).toEqual([null, 0.3, 0.3]);
    expect(curves.baseline).toEqual([0.25, 0.25, 0.25]);
    expect(curvesOf([epoch(1, 0.5)], null).baseline).toBeNull();
    expect(curvesOf([epoch(1, 0.5)], 0).baseline).toEqual([0]); // a base model that scored nothing is still a reference
  });

  it('finds the best validation accuracy and formats shares and losses', () => {
    expect(bestAccuracy([epoch(1, 0.7), epoch(2, 0.9), epoch(3, 0.9)])).toEqual({ epoch: 2, accuracy: 0.9 });
    expect(bestAccuracy([epoch(1, null)])).toBeNull();
    expect(formatShare(0.9333)).toBe('93.3%');
    expect(formatShare(null)).toBe('—');
    expect(formatLoss(0.123456)).toBe('0.1235');
    expect(formatLoss(Number.NaN)).toBe('—');
  });
});
