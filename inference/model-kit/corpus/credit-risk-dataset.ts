import { SeededRandom } from '../seeded-random';

/** Feature names of the credit-risk data set, in the column order of the model's `features` input. */
export const CREDIT_RISK_FEATURES = [
  'annual_income_k',
  'debt_to_income',
  'age_years',
  'late_payments_12m',
  'credit_history_years',
] as const;

/** Risk classes, in model output order. */
export const CREDIT_RISK_LABELS = ['low', 'medium', 'high'] as const;

/** A tabular data set: row-major features [rows, columns] and class indices. */
export interface TabularDataset {
  featureNames: readonly string[];
  labels: readonly string[];
  features: Float32Array;
  classes: number[];
  rows: number;
}

/** A seeded synthetic applicant: plausible ranges, correlated age and history. */
function applicant(random: SeededRandom): number[] {
  const age = 21 + random.next() * 50;
  const income = Math.max(12, 30 + (age - 21) * 1.2 + random.normal() * 25);
  const debtRatio = Math.min(0.95, Math.max(0.02, 0.3 + random.normal() * 0.15));
  const late = Math.min(10, Math.floor(Math.abs(random.normal()) * 2.2));
  const history = Math.max(0, Math.min(age - 18, (age - 18) * random.next()));
  return [income, debtRatio, age, late, history];
}

/** The latent risk score the labels are cut from (higher = riskier). */
function riskScore([income, debtRatio, , late, history]: number[]): number {
  return 2.8 * debtRatio + 0.45 * late - 0.012 * income - 0.03 * history;
}

/**
 * The project's credit-risk demo data set: `rows` synthetic applicants with five numeric
 * features, labelled low / medium / high by a noisy latent score. Same seed, same data.
 */
export function buildCreditRiskDataset(rows = 600, seed = 11): TabularDataset {
  const random = new SeededRandom(seed);
  const features = new Float32Array(rows * CREDIT_RISK_FEATURES.length);
  const classes: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = applicant(random);
    features.set(row, r * row.length);
    const score = riskScore(row) + random.normal() * 0.08;
    classes.push(score < 0.0 ? 0 : score < 0.8 ? 1 : 2);
  }
  return { featureNames: CREDIT_RISK_FEATURES, labels: CREDIT_RISK_LABELS, features, classes, rows };
}
