import { registerEnumType } from 'type-graphql';

/** What is counted for billing. */
export enum Meter {
  REQUESTS = 'REQUESTS',
  INPUT_TOKENS = 'INPUT_TOKENS',
  COMPUTE_MS = 'COMPUTE_MS',
  TRAINING_STEPS = 'TRAINING_STEPS',
}
registerEnumType(Meter, {
  name: 'Meter',
  description:
    'REQUESTS: inference calls; INPUT_TOKENS: tokens of the texts sent; COMPUTE_MS: engine compute ' +
    'time (a batch\'s time shared among its requests); TRAINING_STEPS: optimisation steps of fine-tunes.',
});
