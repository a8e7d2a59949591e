export * from './model-kit/onnx-graph-builder';
export * from './model-kit/seeded-random';
export * from './model-kit/tabular-mlp';
