import { registerEnumType } from 'type-graphql';

/** What a model does; decides how `runInference` reads inputs and shapes outputs. */
export enum ModelTask {
  TEXT_CLASSIFICATION = 'TEXT_CLASSIFICATION',
  TEXT_EMBEDDING = 'TEXT_EMBEDDING',
  TENSOR = 'TENSOR',
}
registerEnumType(ModelTask, { name: 'ModelTask' });

/** Who may see a model: the whole catalogue, or only the organisation that owns it (fine-tunes). */
export enum ModelVisibility {
  PUBLIC = 'PUBLIC',
  PRIVATE = 'PRIVATE',
}
registerEnumType(ModelVisibility, { name: 'ModelVisibility' });

/**
 * Life of a model version: DRAFT -> PUBLISHED -> DEPRECATED -> RETIRED.
 * Only PUBLISHED and DEPRECATED versions serve; RETIRED ones are kept for invoices and history.
 */
export enum ModelVersionStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  DEPRECATED = 'DEPRECATED',
  RETIRED = 'RETIRED',
}
registerEnumType(ModelVersionStatus, { name: 'ModelVersionStatus' });

/** How a charge turns a quantity into an amount (the Lago charge models). */
export enum PricingModel {
  STANDARD = 'STANDARD',
  GRADUATED = 'GRADUATED',
  VOLUME = 'VOLUME',
  PACKAGE = 'PACKAGE',
}
registerEnumType(PricingModel, {
  name: 'PricingModel',
  description:
    'STANDARD: quantity x unit price; GRADUATED: each tier prices its own slice; VOLUME: the tier ' +
    'the total falls in prices every unit; PACKAGE: per started block of packageSize units.',
});

/** What an uploaded file is for. */
export enum FilePurpose {
  MODEL = 'MODEL',
  DATASET = 'DATASET',
}
registerEnumType(FilePurpose, { name: 'FilePurpose' });
