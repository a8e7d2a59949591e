import { GraphQLResolveInfo, responsePathAsArray } from 'graphql';
import { Arg, Authorized, Ctx, Info, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { RunInferenceInput } from '../../schema/predictions/predictions.inputs';
import { RunInferencePayload } from '../../schema/predictions/predictions.payloads';
import { AuthenticatedContext } from '../context';

/** `runInference`. */
@Resolver()
export class PredictionsResolver {
  @Authorized(Role.PARTNER)
  @Mutation(() => RunInferencePayload, {
    description: 'Runs a model on texts or tensors. Needs an active subscription to the model; metered and billed once per requestId. ' +
      'Refusals come in errors[] (NOT_FOUND, FORBIDDEN, BAD_USER_INPUT, RATE_LIMITED, QUOTA_EXCEEDED, OVERLOADED, DEADLINE_EXCEEDED); ' +
      'a reused requestId with another input is the userError IDEMPOTENCY_CONFLICT.',
  })
  async runInference(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: RunInferenceInput, @Info() info: GraphQLResolveInfo): Promise<RunInferencePayload> {
    const result = await ctx.services.inference.run(ctx, input, responsePathAsArray(info.path));
    const answer = result.value;
    if (!answer) return { replayed: false, userErrors: result.userErrors };
    const modelVersion = answer.modelVersion ?? (await ctx.db.findOneBy(ModelVersion, { id: answer.modelVersionId }));
    return {
      outputs: answer.outputs, predictions: answer.predictions, embeddings: answer.embeddings, usage: answer.usage,
      modelVersion, requestId: answer.requestId, replayed: answer.replayed, userErrors: [],
    };
  }
}
