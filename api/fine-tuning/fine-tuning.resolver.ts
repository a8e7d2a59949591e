import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { Dataset } from '../../schema/fine-tuning/dataset.entity';
import { FineTuneCheckpoint } from '../../schema/fine-tuning/fine-tune-checkpoint.entity';
import { FineTuneEpochMetrics } from '../../schema/fine-tuning/fine-tune-epoch-metrics.type';
import { FineTuneEvent } from '../../schema/fine-tuning/fine-tune-event.entity';
import { FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import { CancelFineTuneInput, CreateDatasetInput, StartFineTuneInput } from '../../schema/fine-tuning/fine-tuning.inputs';
import { CancelFineTunePayload, CreateDatasetPayload, StartFineTunePayload } from '../../schema/fine-tuning/fine-tuning.payloads';
import { AuthenticatedContext } from '../context';
import { eventsOf } from './fine-tune-events';

export const DatasetConnection = connectionOf(Dataset, 'Dataset');
export const FineTuneJobConnection = connectionOf(FineTuneJob, 'FineTuneJob');

/** Datasets and fine-tune jobs of the caller's organisation. */
@Resolver()
export class FineTuningResolver {
  @Authorized(Role.PARTNER)
  @Mutation(() => CreateDatasetPayload, { description: 'Validates an uploaded dataset file (rows { text, label }) and splits it into training and validation rows.' })
  async createDataset(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CreateDatasetInput): Promise<CreateDatasetPayload> {
    const result = await ctx.services.datasets.create(ctx, input);
    return { dataset: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.PARTNER)
  @Mutation(() => StartFineTunePayload, { description: 'Queues a fine-tune of a subscribed text classifier on a dataset; the result is a private model of the organisation.' })
  async startFineTune(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: StartFineTuneInput): Promise<StartFineTunePayload> {
    const result = await ctx.services.fineTuneJobs.start(ctx, input);
    return { job: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.PARTNER)
  @Mutation(() => CancelFineTunePayload, { description: 'Cancels a queued or running job (a running one stops within one step).' })
  async cancelFineTune(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CancelFineTuneInput): Promise<CancelFineTunePayload> {
    const result = await ctx.services.fineTuneJobs.cancel(ctx, input);
    return { job: result.value, userErrors: result.userErrors };
  }

  @Authorized()
  @Query(() => DatasetConnection, { description: "The caller's organisation's datasets, oldest first." })
  async datasets(@Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs) {
    return toConnection(await ctx.services.datasets.list(ctx, args));
  }

  @Authorized()
  @Query(() => Dataset, { nullable: true })
  async dataset(@Ctx() ctx: AuthenticatedContext, @Arg('id', () => ID) id: string): Promise<Dataset | null> {
    return ctx.services.datasets.findOwned(ctx, id);
  }

  @Authorized()
  @Query(() => FineTuneJobConnection, { description: "The caller's organisation's fine-tune jobs, oldest first." })
  async fineTuneJobs(@Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs) {
    return toConnection(await ctx.services.fineTuneJobs.list(ctx, args));
  }

  @Authorized()
  @Query(() => FineTuneJob, { nullable: true, description: 'A job of the caller\'s organisation; null when absent or another organisation\'s.' })
  async fineTuneJob(@Ctx() ctx: AuthenticatedContext, @Arg('id', () => ID) id: string): Promise<FineTuneJob | null> {
    return ctx.services.fineTuneJobs.findOwned(ctx, id);
  }
}

/** A job's events, checkpoints, base model, dataset and result. */
@Resolver(() => FineTuneJob)
export class FineTuneJobFieldsResolver {
  @FieldResolver(() => [FineTuneEvent], { description: 'Messages and per-epoch metrics, oldest first.' })
  events(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<FineTuneEvent[]> {
    return eventsOf(ctx.db, job.id);
  }

  @FieldResolver(() => [FineTuneEpochMetrics], { description: 'Loss and accuracy at the end of each epoch, oldest first (the points of the training curves); compare with baseline.' })
  epochMetrics(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<FineTuneEpochMetrics[]> {
    return ctx.services.fineTuneJobs.epochMetrics(ctx, job);
  }

  @FieldResolver(() => [FineTuneCheckpoint])
  checkpoints(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<FineTuneCheckpoint[]> {
    return ctx.services.fineTuneJobs.checkpoints(ctx, job);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The tuned version (of a private model of the organisation) once SUCCEEDED.' })
  resultVersion(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<ModelVersion | null> {
    return ctx.services.fineTuneJobs.resultVersion(ctx, job);
  }

  @FieldResolver(() => Model, { nullable: true })
  baseModel(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<Model | null> {
    return ctx.services.fineTuneJobs.baseModel(ctx, job);
  }

  @FieldResolver(() => Dataset, { nullable: true })
  dataset(@Root() job: FineTuneJob, @Ctx() ctx: AuthenticatedContext): Promise<Dataset | null> {
    return ctx.services.datasets.findOwnedById(ctx, job.datasetId);
  }

  @FieldResolver(() => Boolean, { description: 'Whether a cancel was asked for (a running job stops within one step).' })
  cancelRequested(@Root() job: FineTuneJob): boolean {
    return job.cancelRequestedAt !== null;
  }
}
